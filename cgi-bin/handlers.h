/*
 * handlers.h: the HTTP handlers, the faces the front (route.c) calls: one
 * api_*.c file per area and the seed adapters.  Each parses and validates
 * its request, calls the domain (core_*.c), answers, and returns the
 * status it sent (0: the request was parked and is answered later).
 */
#ifndef HANDLERS_H
#define HANDLERS_H

struct req;

/* api_users.c */
int	h_health(struct req *);
int	h_user_signup(struct req *);
int	h_user_login(struct req *);
int	h_user_logout(struct req *);
int	h_user_guest(struct req *);
int	h_me_get(struct req *);
int	h_me_patch(struct req *);
int	h_user_get(struct req *);
int	h_user_find(struct req *);
int	h_search(struct req *);

/* api_account.c */
int	h_sessions_get(struct req *);
int	h_session_delete(struct req *);
int	h_sessions_end_others(struct req *);
int	h_me_delete(struct req *);
int	h_password_forgot(struct req *);
int	h_password_reset(struct req *);

/* api_friends.c */
int	h_friend_list(struct req *);
int	h_friend_request(struct req *);
int	h_friend_requests(struct req *);
int	h_friend_accept(struct req *);
int	h_friend_reject(struct req *);
int	h_friend_delete(struct req *);

/* api_safety.c */
int	h_block_add(struct req *);
int	h_block_list(struct req *);
int	h_block_delete(struct req *);
int	h_report(struct req *);
int	h_friend_cancel(struct req *);

/* api_messages.c */
int	h_msg_send(struct req *);
int	h_msg_history(struct req *);

/* api_edit.c */
int	h_msg_edit(struct req *);
int	h_msg_delete(struct req *);

/* api_conv.c */
int	h_conv_list(struct req *);
int	h_conv_create(struct req *);
int	h_conv_get(struct req *);
int	h_conv_patch(struct req *);
int	h_conv_add_members(struct req *);
int	h_conv_remove_member(struct req *);
int	h_conv_set_role(struct req *);
int	h_conv_read(struct req *);
int	h_conv_leave(struct req *);
int	h_conv_mute(struct req *);

/* api_live.c */
int	h_conv_typing(struct req *);
int	h_presence_gone(struct req *);

/* api_match.c */
int	h_match_join(struct req *);
int	h_match_cancel(struct req *);
int	h_match_away(struct req *);
int	h_match_back(struct req *);

/* api_files.c */
int	h_file_upload(struct req *);
int	h_file_get(struct req *);

/* api_pictures.c */
int	h_picture_put(struct req *);
int	h_picture_get(struct req *);

/* api_poll.c */
int	h_poll(struct req *);
int	h_ack(struct req *);

/* seed003.c, seed003_talk.c and seed002.c: the seed protocols' adapters */
int	h_frame(struct req *);
int	h_frames(struct req *);
int	h_cmd(struct req *);
int	h_cmds(struct req *);

#endif /* HANDLERS_H */
