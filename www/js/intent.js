// intent.js: how a view asks for what another view does, without
// importing it. A view calls ask.NAME(...) when the person did something
// or its data changed (a conversation chosen, the list to draw again);
// app.js, the one module that imports the views, says at start what each
// name does (provide()), and so decides what follows. ask.NAME returns
// what that does (a promise, for the loads). Names are a closed set, one
// line each below; one asked for before it is provided throws.

const NAMES = [
  // the chat pane (chat.js)
  'openConversation',       // (id, {banner}): show it, fetch what is missing
  'closeChat',              // (): back to the empty pane
  'renderHead',             // (): the open chat's header, from S
  'markRead',               // (): mark read what the open chat shows
  'loadDetail',             // (id): GET /api/conversations/{id} into S.convs
  'openAtMessage',          // (id, seq): open a chat at that message (a search result)
  // the conversation list (convlist.js)
  'loadConversations',      // (): GET /api/conversations into S.convs, drawn
  'loadConversationsSoon',  // (): the same, once for a burst of asks
  'renderConversations',    // (): the list, from S.convs
  'renderConversationsSoon',// (): the same, once per tick
  // friends (friends.js), profiles (profile.js), groups (topics.js)
  'chatWith',               // (username): open the direct chat with a friend
  'sendRequest',            // (username, text): a friend request; the answer
  'showUser',               // (username): the profile dialog of a user
  'blockUser',              // (target, name): block {username} or {conversation_id}, after asking
  'topicDialog',            // (conv): the group's dialog
  'leaveTopic',             // (conv): leave a group, after asking
  // stranger chat (stranger.js)
  'nextStranger',           // (): end this stranger chat, look for another
  'leaveMatch',             // (conv): end a stranger chat, after asking
  'reportStranger',         // (conv): the report dialog of a stranger chat
  'befriendStranger',       // (conv): a friend request to the stranger of a chat
  'matchBannerFor',         // (conv): the banner of an ended stranger chat
  'renderWaiting',          // (): the empty pane's "looking for a stranger"
  'syncMatchFromList',      // (): stranger state from a list just loaded
  // the session (app.js)
  'signOut',                // ({everywhere}): end this session, or all of them
];

const handlers = new Map();

export const ask = Object.freeze(Object.fromEntries(NAMES.map((name) => [name, (...args) => {
  const fn = handlers.get(name);
  if (!fn) throw new Error(`intent ${name}: nothing provides it`);
  return fn(...args);
}])));

// table: {name: function}. Every name must be one of NAMES.
export function provide(table) {
  for (const [name, fn] of Object.entries(table)) {
    if (!NAMES.includes(name)) throw new Error(`intent ${name}: no such intent`);
    handlers.set(name, fn);
  }
}

// The names nothing provides (app.js checks at start that there are none).
export function unprovided() {
  return NAMES.filter((name) => !handlers.has(name));
}
