// state.js: what this tab knows. One object, read and changed by the
// modules; every change is followed by the render calls that show it.
// Also what several views read off it: a conversation's title, a member's
// name, the other person's presence, a stranger chat's partner kept.

export const S = {
  me: null,                 // GET /api/me
  convs: new Map(),         // conversation id -> list item (+ members_detail once opened)
  friends: new Map(),       // username -> user (+ conversation_id)
  incoming: [], outgoing: [],
  blocks: [],               // GET /api/blocks: {id, nickname, avatar_url}
  current: null,            // the open conversation id
  threads: new Map(),       // conversation id -> Thread
  match: null,              // {conversation_id, partner} of the live stranger chat
  matchState: 'idle',       // idle | waiting | matched | left
  backSaid: false,          // DELETE /api/match/away sent since this page loaded
  online: true,             // the receive loop's view of the network
  friendsLoaded: false,     // S.friends holds GET /api/friends at least once
  convsMore: false,         // the list's last page was full: older ones exist
};

// User names are ASCII and compared without case (docs/API.md); the
// server's own spelling matches at once (a render asks for every message).
let meName = '', meLower = '';
export function isMe(name) {
  if (!S.me || !name) return false;
  if (S.me.username !== meName) { meName = S.me.username; meLower = meName.toLowerCase(); }
  return name === meName || (name.length === meName.length && name.toLowerCase() === meLower);
}

export function convTitle(c) {
  if (!c) return '';
  return c.title || (c.kind === 'topic' ? 'Group' : c.kind === 'match' ? 'Stranger' : 'Chat');
}

// The display name of a member of c (nickname when known).
export function memberName(c, username) {
  if (isMe(username)) return 'You';
  // A removed account keeps its messages under ~deleted-ID (docs/API.md).
  if (username?.startsWith('~')) return 'Deleted user';
  // A stranger is known by nickname only (their user name is not shown).
  if (c?.kind === 'match') return c.peer?.nickname || convTitle(c);
  const m = c?.members_detail?.find(x => x.username === username);
  if (m) return m.nickname || m.username;
  if (c?.peer?.username === username) return c.peer.nickname || username;
  return S.friends.get(username)?.nickname || username;
}

// The words of a group notice (a message of kind "notice", docs/API.md),
// with nicknames where known: "Alice added Bob", "You left". An action
// this client does not know shows the server's plain-language body.
export function noticeText(c, m) {
  const n = m.notice || {};
  const who = (u) => memberName(c, u);
  const whom = (u) => (isMe(u) ? 'you' : memberName(c, u));
  switch (n.action) {
  case 'added': {                 // one (target) or several at once (targets)
    const t = Array.isArray(n.targets) ? n.targets.map(whom) : [whom(n.target)];
    const list = t.length > 4 ? `${t.slice(0, 3).join(', ')} and ${t.length - 3} more` : t.length > 1 ? `${t.slice(0, -1).join(', ')} and ${t.at(-1)}` : t[0];
    return `${who(n.actor)} added ${list}`;
  }
  case 'removed': return `${who(n.actor)} removed ${whom(n.target)}`;
  case 'left': return `${who(n.actor)} left`;
  case 'renamed': return `${who(n.actor)} renamed the group to \u201c${n.title}\u201d`;
  case 'role': return `${who(n.actor)} made ${whom(n.target)} ${n.role === 'admin' ? 'an admin' : 'a member'}`;
  default: return String(m.body || '');
  }
}

// The presence dot of a direct or stranger chat's other person: true or
// false, or undefined for none. Presence events come from friends only, so
// an ex-friend (a direct chat kept after the friendship ended) has none.
export function peerOnline(c) {
  if (!c?.peer || c.kind === 'topic' || c.ended) return undefined;
  if (c.kind === 'direct' && S.friendsLoaded && !S.friends.has(c.peer.username)) return undefined;
  return !!c.peer.online;
}

// An ended stranger chat no longer names the partner on the server (title
// "Stranger", no peer): keep the name this tab knew, and that they left.
export function keepPartner(prev, c) {
  if (c?.kind !== 'match' || !prev) return c;
  const out = { ...c };
  if (prev.partnerLeft) out.partnerLeft = true;
  if (c.ended && !c.peer && prev.peer) { out.title = prev.title; out.avatar_url = prev.avatar_url; out.peer = prev.peer; }
  return out;
}

// The messages held for one conversation. Server messages are keyed by id
// (a message arriving twice, by event and by history, is kept once); own
// messages not yet confirmed are keyed by their client_id.
export class Thread {
  constructor(id) {
    this.id = id;
    this.items = new Map();
    this.loaded = false;     // newest page fetched at least once
    this.atStart = false;    // seq 1 is held: nothing older to load
    this.sync = null;        // the history request under way (chat-thread.js)
    this.order = null;       // sorted(), kept until the next change
    this.pending = new Set(); // keys of own messages not confirmed yet
    this.by = null;          // lastBy(), kept until history is dropped
  }

  // Each sender's highest seq held (a later message of theirs says they
  // read what came before: read receipts).
  lastBy() {
    if (!this.by) {
      this.by = new Map();
      for (const m of this.items.values()) if (m.seq > (this.by.get(m.sender) || 0)) this.by.set(m.sender, m.seq);
    }
    return this.by;
  }

  // A server message. Returns true when it was not held before.
  put(m) {
    const lk = 'l' + m.client_id;
    const local = m.client_id && isMe(m.sender) && this.pending.delete(lk) ? this.items.get(lk) : null;
    if (local) this.items.delete(lk);
    const key = 'm' + m.id;
    const old = this.items.get(key);
    const x = { ...old, ...m };
    this.items.set(key, x);
    this.place(old, x, local);
    if (this.by && x.seq > (this.by.get(x.sender) || 0)) this.by.set(x.sender, x.seq);
    if (m.seq === 1) this.atStart = true;
    return !old;
  }

  // Keep sorted()'s order without sorting a long chat again for what
  // most changes are: a message changed where it is, or a new last one
  // (which may take the place of an own one not confirmed before).
  place(old, x, local) {
    const o = this.order;
    if (!o) return;
    if (local) {
      const i = o.lastIndexOf(local);
      if (i < 0) { this.order = null; return; }
      o.splice(i, 1);
    }
    if (old) {
      const i = o.lastIndexOf(old);
      if (i >= 0 && old.seq === x.seq) o[i] = x; else this.order = null;
      return;
    }
    let i = o.length;
    while (i > 0 && !o[i - 1].seq) i--;
    if (x.seq && (i === 0 || o[i - 1].seq < x.seq)) o.splice(i, 0, x); else this.order = null;
  }

  local(clientId) { return this.items.get('l' + clientId); }
  putLocal(item) {
    const k = 'l' + item.client_id, old = this.items.get(k), o = this.order;
    this.items.set(k, item);
    this.pending.add(k);
    if (!o) return;
    if (old) {
      const i = o.lastIndexOf(old);
      if (i >= 0 && (old.t || 0) === (item.t || 0)) o[i] = item; else this.order = null;
    } else if (!o.length || o.at(-1).seq || (o.at(-1).t || 0) <= (item.t || 0)) o.push(item);
    else this.order = null;
  }
  // Own messages not confirmed yet (sending or failed), without walking
  // the whole history.
  *locals() { for (const k of this.pending) yield this.items.get(k); }

  maxSeq() { const o = this.sorted(); for (let i = o.length - 1; i >= 0; i--) if (o[i].seq) return o[i].seq; return 0; }
  minSeq() { return this.sorted()[0]?.seq || 0; }

  // The highest seq up to which nothing is missing, counted from the lowest
  // seq held (seqs have no gaps on the server, so a hole is a message this
  // tab missed: history after this seq fills it).
  contiguous() {
    let x = 0;
    for (const m of this.sorted()) {
      if (!m.seq || (x && m.seq > x + 1)) break;
      x = m.seq;
    }
    return x;
  }

  // Forget the held history (own messages still sending stay).
  reset() {
    for (const [k, m] of this.items) if (m.seq) this.items.delete(k);
    this.order = null;
    this.by = null;
    this.loaded = false;
    this.atStart = false;
  }

  // Drop what is older than seq: held before the newest page was fetched,
  // it would leave a hole under that page.
  dropBelow(seq) {
    for (const [k, m] of this.items) if (m.seq && m.seq < seq) this.items.delete(k);
    this.order = null;
    this.by = null;
  }

  // Ascending by seq; unconfirmed own messages last, in the order written.
  // Sorted again only after a change (a render of a long chat need not
  // sort it); whoever changes items other than through these methods
  // calls changed().
  sorted() {
    if (!this.order) this.order = [...this.items.values()].sort((a, b) =>
      (a.seq || Infinity) - (b.seq || Infinity) || (a.t || 0) - (b.t || 0));
    return this.order;
  }
  changed() { this.order = null; }
}

export function thread(id) {
  let t = S.threads.get(id);
  if (!t) { t = new Thread(id); S.threads.set(id, t); }
  return t;
}

export function resetState() {
  S.me = null;
  S.convs.clear(); S.friends.clear(); S.threads.clear();
  S.incoming = []; S.outgoing = []; S.blocks = [];
  S.current = null; S.match = null; S.matchState = 'idle'; S.backSaid = false;
  S.online = true; S.friendsLoaded = false; S.convsMore = false;
}
