/* The chat page: conversation list, the open conversation, composer, DING, threads, members
 * and bots. Everything it shows comes from the messaging API (/api/v1/messaging); the
 * realtime socket (/ws/, topic messaging.person.<me>) only tells it what changed. Pushes are
 * hints: on every (re)subscription the list is fetched again and the open conversation asks
 * for the messages after the last one it has (?after=), so nothing is missed while offline.
 *
 * Safety: the only server text inserted as HTML is a message's "html" field, which the
 * server renders from Markdown with raw HTML turned off. Every other string (names,
 * excerpts, notices, file names, card titles) goes in as text.
 *
 * Vanilla JS, no dependencies; texts go through Django's JavaScript catalog (/jsi18n/). */
(function () {
  "use strict";

  var root = document.querySelector("[data-chat]");
  if (!root || !window.fetch || !window.Promise) { return; }

  var gettext = window.gettext || function (text) { return text; };
  var ngettext = window.ngettext || function (one, many, count) { return count === 1 ? one : many; };
  var interpolate = window.interpolate || function (format, values) {
    return format.replace(/%\((\w+)\)s/g, function (match, name) { return String(values[name]); });
  };
  function fmt(text, values) { return interpolate(text, values, true); }

  var ME = Number(root.getAttribute("data-me"));
  var API = root.getAttribute("data-api");
  var CSRF = root.getAttribute("data-csrf") || "";
  var CHAT_URL = root.getAttribute("data-chat-url");
  var CONVERSATION_URL = root.getAttribute("data-conversation-url");
  var EXPORT_URL = root.getAttribute("data-export-url");
  var PEOPLE_URL = root.getAttribute("data-people-url");
  var TZ = root.getAttribute("data-time-zone") || undefined;
  var MAY_DING = root.getAttribute("data-may-ding") === "1";
  var LANG = (document.documentElement.getAttribute("lang") || "en").toLowerCase();
  var LOCALE = LANG === "zh-hans" ? "zh-Hans-CN" : LANG;
  var REACTIONS = [];
  try { REACTIONS = JSON.parse(root.getAttribute("data-reactions") || "[]"); } catch (error) { REACTIONS = []; }
  var TOPIC = "messaging.person." + ME;
  var CONVERSATION_TOPIC = "messaging.conversation.";
  var PAGE = 50;
  var TYPING_EVERY_MS = 3000;
  var TYPING_SHOWN_MS = 5000;
  var DRAFT_AFTER_MS = 1000;
  var PING_EVERY_MS = 30000;
  var EXCERPT = 140;

  var BASE_TITLE = document.title;
  var scroller = root.querySelector("[data-chat-scroll]");
  var messageList = root.querySelector("[data-chat-messages]");
  var input = root.querySelector("[data-chat-input]");
  var composer = root.querySelector("[data-chat-composer]");

  var S = {
    rows: [], rowsLoaded: false, filter: "",
    cid: null, gen: 0, detail: null, members: {}, messages: {}, order: [],
    hasMore: false, loadingOlder: false, stick: true, left: false,
    replyTo: null, files: [], sendKey: null, sending: false,
    dingOn: false, dingChannels: null, dings: {}, dingLoading: {},
    typing: {}, lastTyping: 0, draftTimer: null, savedDraft: "",
    thread: null, usernames: {}, readBusy: false, readAgain: false,
    dingDialogMid: null, subscribedAt: 0
  };

  // --- Small helpers -------------------------------------------------------------------------

  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined || value === false) { return; }
      if (name === "text") { el.textContent = value; }
      else if (name === "class") { el.className = value; }
      else { el.setAttribute(name, value === true ? "" : String(value)); }
    });
    add(el, children);
    return el;
  }
  function add(el, children) {
    (Array.isArray(children) ? children : [children]).forEach(function (child) {
      if (child === null || child === undefined || child === false) { return; }
      el.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
    });
    return el;
  }
  function hidden(text) { return h("span", { "class": "visually-hidden" }, text); }
  function clear(el) { while (el.firstChild) { el.removeChild(el.firstChild); } }
  function $(selector, within) { return (within || root).querySelector(selector); }
  function show(el, visible) { if (el) { el.hidden = !visible; } }
  function initials(name) {
    var text = String(name || "").trim();
    if (!text) { return "?"; }
    if (/[^\x00-\x7f]/.test(text)) { return text.charAt(0); }
    return text.split(/\s+/).slice(0, 2).map(function (part) { return part.charAt(0); })
      .join("").toUpperCase();
  }
  function truncate(text, length) {
    var flat = String(text || "").replace(/\s+/g, " ").trim();
    return flat.length <= length ? flat : flat.slice(0, length - 1) + "…";
  }
  function conversationUrl(id) { return CONVERSATION_URL.replace("/0/", "/" + id + "/"); }
  function exportUrl(id, format) {
    return EXPORT_URL.replace("/0/", "/" + id + "/").replace("FMT", format);
  }
  function safeUrl(url) {
    var text = String(url || "");
    return /^(\/(?!\/)|https?:\/\/)/i.test(text) ? text : "#";
  }
  function newKey() {
    var bytes = new Uint8Array(16);
    if (window.crypto && window.crypto.getRandomValues) { window.crypto.getRandomValues(bytes); }
    else { for (var i = 0; i < bytes.length; i++) { bytes[i] = Math.floor(Math.random() * 256); } }
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function fileSize(bytes) {
    var n = Number(bytes) || 0;
    if (n < 1024) { return fmt(gettext("%(size)s bytes"), { size: n }); }
    if (n < 1024 * 1024) { return fmt(gettext("%(size)s KB"), { size: Math.round(n / 1024) }); }
    return fmt(gettext("%(size)s MB"), { size: (n / 1024 / 1024).toFixed(1) });
  }

  // --- Times, always in the museum's zone -----------------------------------------------------

  function formatter(options) {
    var settings = {};
    Object.keys(options).forEach(function (key) { settings[key] = options[key]; });
    settings.timeZone = TZ;
    try { return new Intl.DateTimeFormat(LOCALE, settings); } catch (error) {
      delete settings.timeZone;
      try { return new Intl.DateTimeFormat(undefined, settings); } catch (again) { return null; }
    }
  }
  var numericDay = formatter({ year: "numeric", month: "2-digit", day: "2-digit" });
  var numericTime = formatter({ hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  var longDay = formatter({ year: "numeric", month: "long", day: "numeric", weekday: "long" });
  var fullTime = formatter({ year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit",
                             minute: "2-digit", hourCycle: "h23" });

  function partsOf(format, date) {
    var found = {};
    if (format && format.formatToParts) {
      format.formatToParts(date).forEach(function (part) { found[part.type] = part.value; });
    }
    return found;
  }
  function toDate(iso) { var date = iso ? new Date(iso) : null; return date && !isNaN(date) ? date : null; }
  function dayKey(date) {
    var p = partsOf(numericDay, date);
    return p.year ? p.year + "-" + p.month + "-" + p.day : date.toISOString().slice(0, 10);
  }
  function clock(date) {
    var p = partsOf(numericTime, date);
    return p.hour ? p.hour + ":" + p.minute : date.toTimeString().slice(0, 5);
  }
  function todayKey() { return dayKey(new Date()); }
  function listWhen(iso) {
    var date = toDate(iso);
    if (!date) { return ""; }
    var key = dayKey(date);
    var today = todayKey();
    if (key === today) { return clock(date); }
    return key.slice(0, 4) === today.slice(0, 4) ? key.slice(5) : key;
  }
  function dayLabel(date) {
    var key = dayKey(date);
    if (key === todayKey()) { return gettext("Today"); }
    if (key === dayKey(new Date(Date.now() - 86400000))) { return gettext("Yesterday"); }
    return longDay ? longDay.format(date) : key;
  }
  function when(iso) {
    var date = toDate(iso);
    if (!date) { return ""; }
    return fullTime ? fullTime.format(date) : date.toLocaleString();
  }

  // --- The API ----------------------------------------------------------------------------------

  function request(method, url, body, options) {
    var init = { method: method, credentials: "same-origin", headers: { "Accept": "application/json" } };
    if (method !== "GET") { init.headers["X-CSRFToken"] = CSRF; }
    if (body instanceof FormData) { init.body = body; }
    else if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    if (options && options.keepalive) { init.keepalive = true; }
    return fetch(url, init).then(function (response) {
      if (response.status === 204) { return null; }
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("json") < 0) { throw { status: response.status, data: null }; }
      return response.json().then(function (data) {
        if (!response.ok) { throw { status: response.status, data: data }; }
        return data;
      });
    });
  }
  function api(method, path, body, options) { return request(method, API + path, body, options); }

  function problem(error) {
    if (!error || error.status === undefined) {
      return gettext("The server could not be reached. Check your connection and try again.");
    }
    if (error.status === 401) {
      return gettext("Your session has ended. Reload the page and sign in again.");
    }
    var data = error.data;
    if (!data || !data.detail) {
      return fmt(gettext("The server answered with an error (%(status)s). Try again, and tell IT if it keeps happening."),
                 { status: error.status });
    }
    var parts = [data.detail];
    Object.keys(data.fields || {}).forEach(function (name) {
      if (data.fields[name] !== data.detail) { parts.push(data.fields[name]); }
    });
    return parts.filter(Boolean).join(" ");
  }
  function say(box, text) {
    if (!box) { return; }
    box.textContent = text || "";
    box.hidden = !text;
  }

  // --- The conversation list --------------------------------------------------------------------

  var listEl = root.querySelector("[data-chat-list]");

  function rowOf(id) {
    for (var i = 0; i < S.rows.length; i++) { if (S.rows[i].id === id) { return S.rows[i]; } }
    return null;
  }
  function sortRows() {
    S.rows.sort(function (a, b) {
      return (b.pinned ? 1 : 0) - (a.pinned ? 1 : 0) || (b.last_message_id || 0) - (a.last_message_id || 0);
    });
  }
  function rowNode(row) {
    var current = row.id === S.cid;
    var excerpt = row.draft && !current
      ? [h("span", { "class": "chat-draft" }, gettext("[Draft]")), " " + truncate(row.draft, 80)]
      : row.last_excerpt || "";
    var parts = [h("span", { "class": "chat-row-excerpt" }, excerpt)];
    if (row.mentions) {
      parts.push(h("span", { "class": "badge chat-at", "data-testid": "mention-badge",
                             title: gettext("You were mentioned") },
                   ["@", hidden(" " + gettext("You were mentioned"))]));
    }
    if (row.unread) {
      parts.push(h("span", { "class": "badge chat-unread", "data-testid": "unread-badge" },
                   [row.unread > 99 ? "99+" : String(row.unread), hidden(" " + gettext("unread"))]));
    }
    var classes = "chat-row" + (row.muted ? " is-muted" : "") + (row.pinned ? " is-pinned" : "") +
      (row.archived ? " is-archived" : "");
    return h("li", { "class": classes, "data-testid": "conversation-item", "data-conversation-id": row.id,
                     "data-unread": row.unread || 0, "data-mentions": row.mentions || 0 }, [
      h("a", { "class": "chat-row-link", href: conversationUrl(row.id), "aria-current": current ? "page" : null }, [
        h("span", { "class": "avatar chat-avatar chat-avatar-" + row.kind, "aria-hidden": "true" }, initials(row.title)),
        h("span", { "class": "chat-row-main" }, [
          h("span", { "class": "chat-row-top" }, [
            h("span", { "class": "chat-row-title", "data-testid": "conversation-title" }, row.title || gettext("(untitled)")),
            row.pinned ? hidden(gettext("(pinned)")) : null,
            row.muted ? hidden(gettext("(muted)")) : null,
            h("time", { "class": "chat-row-time", datetime: row.last_message_at || "" }, listWhen(row.last_message_at))
          ]),
          h("span", { "class": "chat-row-bottom" }, parts)
        ])
      ])
    ]);
  }
  function renderList() {
    if (!S.rowsLoaded) { return; }
    var focused = document.activeElement && listEl.contains(document.activeElement)
      ? document.activeElement.closest("[data-conversation-id]") : null;
    var focusId = focused ? focused.getAttribute("data-conversation-id") : null;
    var needle = S.filter.trim().toLocaleLowerCase();
    var shown = 0;
    var fragment = document.createDocumentFragment();
    S.rows.forEach(function (row) {
      if (needle && String(row.title || "").toLocaleLowerCase().indexOf(needle) < 0) { return; }
      fragment.appendChild(rowNode(row));
      shown += 1;
    });
    clear(listEl);
    listEl.appendChild(fragment);
    var empty = $("[data-chat-list-empty]");
    empty.textContent = S.rows.length ? gettext("No conversation matches.")
      : gettext("No conversations yet. Start one with the buttons above.");
    empty.hidden = shown > 0;
    if (focusId) {
      var link = listEl.querySelector("[data-conversation-id='" + focusId + "'] a");
      if (link) { link.focus(); }
    }
  }
  var listTimer = null;
  function refetchList() {
    return api("GET", "/conversations").then(function (rows) {
      S.rows = rows || [];
      S.rowsLoaded = true;
      sortRows();
      renderList();
      return S.rows;
    }).catch(function () { return S.rows; /* the next reconnect fetches again */ });
  }
  function refetchListSoon() {
    window.clearTimeout(listTimer);
    listTimer = window.setTimeout(refetchList, 300);
  }
  function excerptOf(m) {
    if (m.recalled_at) { return gettext("(recalled)"); }
    if (m.kind === "system") { return noticeText(m); }
    if (m.body) { return truncate(m.body, EXCERPT); }
    return gettext("[file]");
  }
  function mentionsMe(m) {
    return m.mentions_all || (m.mentions || []).indexOf(ME) >= 0;
  }

  // --- Opening a conversation ---------------------------------------------------------------------

  function conversationVisible() {
    var pane = $("[data-chat-conversation]");
    return Boolean(S.cid && pane && !pane.hidden && pane.offsetParent !== null &&
                   document.visibilityState === "visible");
  }

  function resetConversation() {
    S.gen += 1;
    S.detail = null; S.members = {}; S.messages = {}; S.order = []; S.hasMore = false;
    S.loadingOlder = false; S.stick = true; S.left = false; S.replyTo = null; S.files = [];
    S.sendKey = null; S.dings = {}; S.dingLoading = {}; S.typing = {}; S.thread = null;
    S.savedDraft = ""; S.dingOn = false;
    clear(messageList);
    closeThread(true);
    renderFiles();
    renderReply();
    setDing(false);
    renderTyping();
    say($("[data-chat-error]"), "");
    show($("[data-chat-banner]"), false);
    show($("[data-action='older']"), false);
    show($("[data-action='jump']"), false);
    closeSearch();
  }

  function openConversation(id, push) {
    flushDraft();
    if (push) { window.history.pushState({ cid: id }, "", conversationUrl(id)); }
    resetConversation();
    S.cid = id;
    var gen = S.gen;
    var openedAt = Date.now();
    root.classList.add("is-open");
    root.setAttribute("data-conversation-id", String(id));
    show($("[data-chat-placeholder]"), false);
    show($("[data-chat-conversation]"), true);
    show($("[data-chat-loading]"), true);
    show(composer, false);
    show($("[data-chat-readonly]"), false);
    var row = rowOf(id);
    if (row) { $("[data-chat-title]").textContent = row.title; }
    renderList();
    return Promise.all([
      api("GET", "/conversations/" + id),
      api("GET", "/conversations/" + id + "/messages?limit=" + PAGE)
    ]).then(function (answers) {
      if (gen !== S.gen) { return; }
      applyDetail(answers[0]);
      S.hasMore = Boolean(answers[1].has_more);
      addMessages(answers[1].messages || []);
      show($("[data-chat-loading]"), false);
      updateOlder();
      input.value = answers[0].draft || "";
      S.savedDraft = input.value;
      grow();
      scrollToBottom();
      jumpToHash();
      maybeMarkRead();
      // Subscribed while the first page was on its way: fetch what came in between.
      if (S.subscribedAt && S.subscribedAt >= openedAt) { catchUp(); }
    }).catch(function (error) {
      if (gen !== S.gen) { return; }
      show($("[data-chat-loading]"), false);
      banner(error && error.status === 404
        ? gettext("This conversation does not exist, or you are no longer in it.")
        : problem(error));
      refetchListSoon();
    });
  }

  function closeConversation() {
    flushDraft();
    var was = S.cid;
    resetConversation();
    S.cid = null;
    root.classList.remove("is-open");
    root.setAttribute("data-conversation-id", "");
    show($("[data-chat-conversation]"), false);
    show($("[data-chat-placeholder]"), true);
    renderList();
    var link = was && listEl.querySelector("[data-conversation-id='" + was + "'] a");
    if (link) { link.focus(); }
  }

  function banner(text) { say($("[data-chat-banner]"), text); }

  function otherMember() {
    var found = null;
    Object.keys(S.members).forEach(function (key) {
      if (Number(key) !== ME) { found = S.members[key]; }
    });
    return found;
  }
  function isManager() { return S.detail && (S.detail.role === "owner" || S.detail.role === "admin"); }

  function applyDetail(detail) {
    S.detail = detail;
    S.members = {};
    (detail.members || []).forEach(function (m) {
      S.members[m.person_id] = m;
      if (m.username) { S.usernames[m.person_id] = m.username; }
    });
    var direct = detail.kind === "direct";
    var other = direct ? otherMember() : null;
    var row = rowOf(detail.id);
    var title = direct ? (other ? other.name : (row ? row.title : "")) : detail.title;
    $("[data-chat-title]").textContent = title || gettext("(untitled)");
    document.title = (title ? title + " · " : "") + BASE_TITLE;
    var count = (detail.members || []).length;
    var subtitle;
    if (direct) {
      subtitle = other && other.online ? gettext("Online") : gettext("Offline");
    } else {
      subtitle = fmt(ngettext("%(count)s member", "%(count)s members", count), { count: count });
      if (detail.kind === "channel") { subtitle += " · " + gettext("Announcement channel"); }
      if (detail.kind === "department") { subtitle += " · " + gettext("Department group"); }
    }
    $("[data-chat-subtitle]").textContent = subtitle;
    var dot = $("[data-chat-online]");
    show(dot, direct);
    if (direct) {
      dot.classList.toggle("is-online", Boolean(other && other.online));
      $("[data-chat-online-text]").textContent = other && other.online ? gettext("Online") : gettext("Offline");
    }
    $("[data-action='mute']").setAttribute("aria-pressed", detail.muted ? "true" : "false");
    $("[data-action='pin']").setAttribute("aria-pressed", detail.pinned ? "true" : "false");
    var exports = $("[data-chat-export]");
    show(exports, Boolean(detail.may_export));
    exports.querySelectorAll("[data-export]").forEach(function (link) {
      link.setAttribute("href", exportUrl(detail.id, link.getAttribute("data-export")));
    });
    var readonly = $("[data-chat-readonly]");
    if (S.left) {
      say(readonly, gettext("You left this conversation."));
      show(composer, false);
    } else if (detail.archived) {
      banner(gettext("This conversation is archived: it can be read but not changed."));
      say(readonly, "");
      show(composer, false);
    } else if (!detail.may_post) {
      say(readonly, gettext("Only the owner and admins post in this announcement channel."));
      show(composer, false);
    } else {
      say(readonly, "");
      show(composer, true);
    }
    var dingToggle = $("[data-action='ding']");
    show(dingToggle, MAY_DING && detail.may_post && count > 1);
    if (S.dingOn) { renderDingRecipients(); }
    refreshReceipts();
  }

  function reloadDetail() {
    if (!S.cid) { return Promise.resolve(); }
    var gen = S.gen;
    return api("GET", "/conversations/" + S.cid).then(function (detail) {
      if (gen === S.gen) { applyDetail(detail); }
    }).catch(function (error) {
      if (gen === S.gen && error && error.status === 404) { youLeft(); }
    });
  }

  // --- Messages -------------------------------------------------------------------------------

  function noticeText(m) {
    var notice = m.notice || {};
    if (notice[LANG]) { return notice[LANG]; }
    if (notice[LANG.split("-")[0]]) { return notice[LANG.split("-")[0]]; }
    if (notice.en) { return notice.en; }
    var first = Object.keys(notice)[0];
    return first ? notice[first] : "";
  }
  function nameOf(personId) {
    var member = S.members[personId];
    return member ? member.name : gettext("a former member");
  }

  function receiptCounts(m) {
    var read = 0;
    var total = 0;
    Object.keys(S.members).forEach(function (key) {
      var member = S.members[key];
      if (member.person_id === ME || member.person_id === m.sender_id) { return; }
      if (member.joined_after_id < m.id) {
        total += 1;
        if (member.last_read_id >= m.id) { read += 1; }
      }
    });
    return { read: read, total: total };
  }
  function receiptText(m) {
    var counts = receiptCounts(m);
    if (S.detail && S.detail.kind === "direct") {
      return counts.read ? gettext("Read") : gettext("Not read yet");
    }
    if (counts.total && counts.read === counts.total) { return gettext("Read by all"); }
    return fmt(ngettext("Read by %(read)s of %(total)s", "Read by %(read)s of %(total)s", counts.total),
               { read: counts.read, total: counts.total });
  }
  var receiptsQueued = false;
  function refreshReceipts() {
    if (receiptsQueued) { return; }
    receiptsQueued = true;
    window.requestAnimationFrame(function () {
      receiptsQueued = false;
      messageList.querySelectorAll("[data-testid='receipt-line']").forEach(function (line) {
        var m = S.messages[Number(line.getAttribute("data-mid"))];
        if (m) { line.textContent = receiptText(m); }
      });
    });
  }

  function quoteNode(reply) {
    return h("button", { type: "button", "class": "chat-quote", "data-action": "goto", "data-mid": reply.id,
                         title: gettext("Show the quoted message") }, [
      h("strong", {}, reply.sender_name || gettext("a former member")), " ",
      h("span", {}, reply.excerpt || "")
    ]);
  }
  function attachmentNode(a) {
    if (a.preview_url) {
      return h("a", { "class": "chat-image", href: safeUrl(a.url), target: "_blank", rel: "noopener" }, [
        h("img", { src: safeUrl(a.preview_url), alt: a.name, loading: "lazy",
                   width: a.width || null, height: a.height || null })
      ]);
    }
    return h("a", { "class": "chat-file", href: safeUrl(a.url), download: a.name }, [
      h("span", { "class": "chat-file-name" }, a.name), " ",
      h("span", { "class": "small muted" }, fileSize(a.size))
    ]);
  }
  function cardNode(card) {
    if (card.hidden) {
      return h("div", { "class": "chat-card is-hidden", "data-testid": "card" }, gettext("You cannot see this record"));
    }
    return h("a", { "class": "chat-card", href: safeUrl(card.url), "data-testid": "card" }, [
      h("strong", {}, card.title || ""),
      card.subtitle ? h("span", { "class": "small muted" }, card.subtitle) : null,
      card.status ? h("span", { "class": "pill" }, card.status) : null
    ]);
  }
  function reactionsNode(m) {
    if (!m.reactions || !m.reactions.length || m.recalled_at) { return null; }
    return h("div", { "class": "chat-reactions" }, m.reactions.map(function (r) {
      var mine = r.person_ids.indexOf(ME) >= 0;
      var names = r.person_ids.map(nameOf).join(", ");
      return h("button", { type: "button", "class": "chat-reaction", "aria-pressed": mine ? "true" : "false",
                           "data-action": "react", "data-mid": m.id, "data-emoji": r.emoji,
                           "data-key": "react-" + r.emoji, title: names,
                           "aria-label": fmt(gettext("%(emoji)s from %(names)s"), { emoji: r.emoji, names: names }) },
               [r.emoji, " ", String(r.person_ids.length)]);
    }));
  }
  function dingRecipient(state, personId) {
    var found = null;
    (state.recipients || []).forEach(function (r) { if (r.person_id === personId) { found = r; } });
    return found;
  }
  function dingNode(m) {
    if (!m.ding || m.recalled_at) { return null; }
    var state = S.dings[m.id];
    var parts = [];
    if (state) {
      parts.push(h("span", { "class": "small", "data-testid": "ding-count" },
                   fmt(gettext("Confirmed by %(confirmed)s of %(total)s"),
                       { confirmed: state.confirmed, total: state.total })));
      var mine = dingRecipient(state, ME);
      if (mine && !mine.confirmed_at && !state.closed) {
        parts.push(h("button", { type: "button", "class": "button small", "data-action": "ding-confirm",
                                 "data-mid": m.id, "data-testid": "ding-confirm", "data-key": "confirm" },
                     gettext("Confirm")));
      } else if (mine && mine.confirmed_at) {
        parts.push(h("span", { "class": "pill pill-ok" }, gettext("You confirmed")));
      }
    }
    if (m.ding.closed || (state && state.closed)) { parts.push(h("span", { "class": "pill" }, gettext("Closed"))); }
    parts.push(h("button", { type: "button", "class": "link-button small", "data-action": "ding-status",
                             "data-mid": m.id, "data-testid": "ding-status-button", "data-key": "ding-status" },
                 gettext("Status")));
    return h("div", { "class": "chat-ding-box", "data-testid": "ding-box" }, parts);
  }
  function menuNode(m, inThread) {
    if (m.kind === "system" || m.recalled_at) { return null; }
    return h("details", { "class": "menu chat-msg-menu", "data-mid": m.id, "data-thread": inThread ? "1" : null }, [
      h("summary", { "class": "icon-button", "data-key": "menu", title: gettext("Message actions") },
        [h("span", { "aria-hidden": "true" }, "⋯"), hidden(gettext("Message actions"))]),
      h("div", { "class": "menu-panel", role: "group", "aria-label": gettext("Message actions") })
    ]);
  }
  function fillMenu(details) {
    var panel = details.querySelector(".menu-panel");
    var m = S.messages[Number(details.getAttribute("data-mid"))] || threadMessage(Number(details.getAttribute("data-mid")));
    if (!panel || !m) { return; }
    clear(panel);
    var inThread = details.getAttribute("data-thread") === "1";
    var mine = m.sender_id === ME;
    var open = S.detail && !S.detail.archived && !S.left;
    function item(action, text, testid) {
      return h("button", { type: "button", "data-action": action, "data-mid": m.id, "data-testid": testid }, text);
    }
    if (open && S.detail.may_post && !inThread) {
      panel.appendChild(item("reply", gettext("Reply"), "action-reply"));
      if (!m.thread_root_id) { panel.appendChild(item("thread", gettext("Reply in a thread"), "action-thread")); }
    }
    panel.appendChild(h("div", { "class": "chat-emoji-row", role: "group", "aria-label": gettext("React") },
      REACTIONS.map(function (emoji) {
        return h("button", { type: "button", "class": "chat-emoji", "data-action": "react-add", "data-mid": m.id,
                             "data-emoji": emoji, "aria-label": fmt(gettext("React with %(emoji)s"), { emoji: emoji }) }, emoji);
      })));
    if (open && mine && m.kind === "text") { panel.appendChild(item("edit", gettext("Edit"), "action-edit")); }
    var managerRecall = isManager() && S.detail.kind !== "direct";
    if (open && (mine || managerRecall)) { panel.appendChild(item("recall", gettext("Recall"), "action-recall")); }
  }

  function messageNode(m, inThread) {
    var li = h("li", { "class": "chat-msg", "data-testid": "message", "data-message-id": m.id,
                       id: inThread ? null : "m" + m.id });
    if (m.kind === "system") {
      li.className += " is-system";
      li.appendChild(h("p", { "class": "chat-notice" }, [noticeText(m), " ",
        h("time", { "class": "small muted", datetime: m.created_at }, clock(toDate(m.created_at) || new Date()))]));
      return li;
    }
    if (m.sender_id === ME && !m.bot) { li.className += " is-mine"; }
    if (m.ding && !m.recalled_at) { li.className += " is-ding"; }
    if (!m.recalled_at && mentionsMe(m) && m.sender_id !== ME) { li.className += " is-mention"; }
    var created = toDate(m.created_at) || new Date();
    li.appendChild(h("div", { "class": "chat-msg-head" }, [
      h("span", { "class": "avatar chat-msg-avatar", "aria-hidden": "true" }, initials(m.sender_name)),
      h("span", { "class": "chat-sender" }, m.sender_name || gettext("a former member")),
      m.bot ? h("span", { "class": "pill" }, gettext("Bot")) : null,
      h("time", { "class": "small muted", datetime: m.created_at, title: when(m.created_at) }, clock(created)),
      menuNode(m, inThread)
    ]));
    var bubble = h("div", { "class": "chat-bubble" });
    if (m.ding && !m.recalled_at) {
      bubble.appendChild(h("p", { "class": "chat-ding-flag" }, [h("strong", {}, gettext("DING")), " ",
        gettext("Urgent: each person asked must confirm.")]));
    }
    if (m.reply_to && !inThread) { bubble.appendChild(quoteNode(m.reply_to)); }
    if (m.recalled_at) {
      bubble.appendChild(h("p", { "class": "chat-recalled", "data-testid": "recalled" },
        m.recalled_by_name ? fmt(gettext("Recalled by %(name)s"), { name: m.recalled_by_name })
                           : gettext("This message was recalled")));
    } else {
      if (m.html) {
        var text = h("div", { "class": "chat-text" });
        // The one place server text becomes markup: rendered from Markdown, raw HTML off.
        text.innerHTML = m.html;
        text.querySelectorAll("a[href]").forEach(function (link) {
          if (!/^(\/|#)/.test(link.getAttribute("href"))) { link.setAttribute("target", "_blank"); link.setAttribute("rel", "noopener noreferrer"); }
        });
        bubble.appendChild(text);
      }
      (m.attachments || []).forEach(function (a) { bubble.appendChild(attachmentNode(a)); });
      (m.cards || []).forEach(function (card) { bubble.appendChild(cardNode(card)); });
      if (m.edited_at) {
        bubble.appendChild(h("span", { "class": "chat-edited small muted", "data-testid": "edited",
                                       title: when(m.edited_at) }, gettext("edited")));
      }
    }
    li.appendChild(bubble);
    var foot = h("div", { "class": "chat-msg-foot" });
    add(foot, [reactionsNode(m), dingNode(m)]);
    if (!inThread && m.thread_reply_count) {
      foot.appendChild(h("button", { type: "button", "class": "link-button small chat-thread-count", "data-action": "thread",
                                     "data-mid": m.id, "data-key": "thread", "data-testid": "thread-count" },
        fmt(ngettext("%(count)s reply", "%(count)s replies", m.thread_reply_count), { count: m.thread_reply_count })));
    }
    if (!inThread && m.sender_id === ME && !m.bot && !m.recalled_at) {
      foot.appendChild(h("button", { type: "button", "class": "link-button small chat-receipt", "data-action": "receipts",
                                     "data-mid": m.id, "data-testid": "receipt-line", "data-key": "receipt" },
                         receiptText(m)));
    }
    if (foot.firstChild) { li.appendChild(foot); }
    li.querySelectorAll("img").forEach(function (img) {
      img.addEventListener("load", function () { if (S.stick) { scrollToBottom(); } });
    });
    return li;
  }

  function separator(date) {
    return h("li", { "class": "chat-day", "data-day": dayKey(date) }, h("span", {}, dayLabel(date)));
  }
  function run(list, previousDay) {
    var fragment = document.createDocumentFragment();
    var day = previousDay;
    list.forEach(function (m) {
      var date = toDate(m.created_at) || new Date();
      var key = dayKey(date);
      if (key !== day) { fragment.appendChild(separator(date)); day = key; }
      fragment.appendChild(messageNode(m, false));
    });
    return fragment;
  }
  function dayOf(m) { return dayKey(toDate(m.created_at) || new Date()); }
  function nodeOf(id) { return messageList.querySelector("#m" + id); }

  // Adds messages of the main stream in any order: each id once, separators by day.
  function addMessages(list) {
    var fresh = [];
    list.forEach(function (m) {
      if (m.thread_root_id) { return; }
      if (S.messages[m.id]) { replaceMessage(m); } else { fresh.push(m); }
    });
    if (!fresh.length) { return; }
    fresh.sort(function (a, b) { return a.id - b.id; });
    var first = S.order[0];
    var last = S.order[S.order.length - 1];
    fresh.forEach(function (m) { S.messages[m.id] = m; });
    if (!S.order.length || fresh[0].id > last) {
      var previous = last ? dayOf(S.messages[last]) : null;
      messageList.appendChild(run(fresh, previous));
      fresh.forEach(function (m) { S.order.push(m.id); });
    } else if (fresh[fresh.length - 1].id < first) {
      var top = messageList.firstElementChild;
      if (top && top.classList.contains("chat-day") && dayOf(fresh[fresh.length - 1]) === dayOf(S.messages[first])) {
        messageList.removeChild(top);
      }
      messageList.insertBefore(run(fresh, null), messageList.firstChild);
      S.order = fresh.map(function (m) { return m.id; }).concat(S.order);
    } else {
      // Interleaved (a reconnect raced a push): rebuild in id order.
      S.order = S.order.concat(fresh.map(function (m) { return m.id; })).sort(function (a, b) { return a - b; });
      clear(messageList);
      messageList.appendChild(run(S.order.map(function (id) { return S.messages[id]; }), null));
    }
    fresh.forEach(function (m) {
      if (m.ding) { loadDing(m.id); }
    });
  }

  // Swaps a message's node, keeping the keyboard focus where it was.
  function swap(node, fresh) {
    var active = document.activeElement;
    var key = node.contains(active) && active.getAttribute ? active.getAttribute("data-key") : null;
    node.parentNode.replaceChild(fresh, node);
    if (key) {
      var again = fresh.querySelector("[data-key='" + key + "']");
      (again || fresh.querySelector("summary") || scroller).focus();
    }
  }
  // A message being edited keeps its form until saved or cancelled (force).
  function replaceMessage(m, force) {
    var old = S.messages[m.id] || threadMessage(m.id);
    if (old && !m.cards && old.cards && JSON.stringify(old.links || []) === JSON.stringify(m.links || [])) {
      m.cards = old.cards;
    }
    if (S.messages[m.id]) {
      S.messages[m.id] = m;
      var node = nodeOf(m.id);
      if (node && (force || !node.querySelector(".chat-edit"))) { swap(node, messageNode(m, false)); }
    }
    if (S.thread) {
      if (S.thread.root === m.id) { S.thread.rootMessage = m; }
      if (S.thread.messages[m.id]) { S.thread.messages[m.id] = m; }
      var threadNode = threadList().querySelector("[data-message-id='" + m.id + "']");
      if (threadNode && (force || !threadNode.querySelector(".chat-edit"))) { swap(threadNode, messageNode(m, true)); }
    }
  }
  function rerender(id, force) {
    var m = S.messages[id] || threadMessage(id);
    if (m) { replaceMessage(m, force); }
  }
  // Cards depend on the reader, so pushes never carry them: fetch this one message.
  function fetchCards(m) {
    if (!m.links || !m.links.length || !S.cid) { return; }
    var query = "?after=" + (m.id - 1) + "&limit=1" + (m.thread_root_id ? "&thread=" + m.thread_root_id : "");
    var gen = S.gen;
    api("GET", "/conversations/" + m.conversation_id + "/messages" + query).then(function (page) {
      var found = (page.messages || [])[0];
      if (gen === S.gen && found && found.id === m.id) { replaceMessage(found); }
    }).catch(function () { /* the card shows on the next visit */ });
  }

  function updateOlder() { show($("[data-action='older']"), S.hasMore); }
  function loadOlder() {
    var first = S.order[0];
    if (!first || !S.hasMore || S.loadingOlder) { return Promise.resolve(false); }
    S.loadingOlder = true;
    var gen = S.gen;
    return api("GET", "/conversations/" + S.cid + "/messages?before=" + first + "&limit=" + PAGE).then(function (page) {
      if (gen !== S.gen) { return false; }
      var height = scroller.scrollHeight;
      var top = scroller.scrollTop;
      S.hasMore = Boolean(page.has_more);
      addMessages(page.messages || []);
      scroller.scrollTop = top + (scroller.scrollHeight - height);
      S.loadingOlder = false;
      updateOlder();
      return true;
    }).catch(function () { S.loadingOlder = false; return false; });
  }

  function nearBottom() { return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80; }
  function scrollToBottom() {
    scroller.scrollTop = scroller.scrollHeight;
    S.stick = true;
    show($("[data-action='jump']"), false);
  }
  function goTo(id) {
    var node = nodeOf(id);
    if (!node) { return false; }
    node.scrollIntoView({ block: "center" });
    node.classList.add("is-found");
    window.setTimeout(function () { node.classList.remove("is-found"); }, 2500);
    node.setAttribute("tabindex", "-1");
    node.focus({ preventScroll: true });
    return true;
  }
  // Loads older pages until the message is there (search results, quotes, #m123 links).
  function reach(id, pagesLeft) {
    if (goTo(id)) { return Promise.resolve(true); }
    if (!S.hasMore || pagesLeft <= 0 || (S.order.length && S.order[0] < id)) { return Promise.resolve(false); }
    return loadOlder().then(function (loaded) { return loaded ? reach(id, pagesLeft - 1) : false; });
  }
  function jumpToHash() {
    var match = /^#m(\d+)$/.exec(window.location.hash || "");
    if (match) { reach(Number(match[1]), 20); }
  }

  // --- Reading -----------------------------------------------------------------------------------

  function maybeMarkRead() {
    if (!conversationVisible() || !S.detail || S.left || !nearBottom()) { return; }
    var newest = S.order[S.order.length - 1];
    var me = S.members[ME];
    if (!newest || (me && me.last_read_id >= newest)) { return; }
    if (S.readBusy) { S.readAgain = true; return; }
    S.readBusy = true;
    var cid = S.cid;
    api("POST", "/conversations/" + cid + "/read", { up_to_id: newest }).then(function (answer) {
      var cursor = answer && answer.last_read_id ? answer.last_read_id : newest;
      if (cid === S.cid && S.members[ME]) {
        S.members[ME].last_read_id = Math.max(S.members[ME].last_read_id, cursor);
      }
      var row = rowOf(cid);
      if (row && cursor >= (row.last_message_id || 0)) { row.unread = 0; row.mentions = 0; renderList(); }
    }).catch(function () { /* tried again on the next scroll or message */ }).then(function () {
      S.readBusy = false;
      if (S.readAgain) { S.readAgain = false; maybeMarkRead(); }
    });
  }

  // --- Realtime ------------------------------------------------------------------------------------

  var socket = null;
  var delay = 1000;
  var pinger = null;

  function connect() {
    if (!("WebSocket" in window)) { return; }
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    try { socket = new WebSocket(scheme + window.location.host + "/ws/"); } catch (error) { return retry(); }
    socket.onopen = function () {
      delay = 1000;
      socket.send(JSON.stringify({ type: "subscribe", topic: TOPIC }));
      window.clearInterval(pinger);
      pinger = window.setInterval(function () {
        if (socket && socket.readyState === 1) { socket.send(JSON.stringify({ type: "ping" })); }
      }, PING_EVERY_MS);
    };
    socket.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (error) { return; }
      if (frame.type === "subscribed" && frame.topic === TOPIC) {
        S.subscribedAt = Date.now();
        catchUp();
        return;
      }
      if (frame.type === "message" && frame.data) { receive(frame.topic, frame.data); }
    };
    socket.onclose = function (event) {
      window.clearInterval(pinger);
      socket = null;
      if (event.code === 4401) { return; }  // signed out: nothing to listen for
      retry();
    };
    socket.onerror = function () { /* onclose follows and schedules the retry */ };
  }
  function retry() {
    window.setTimeout(connect, delay + Math.floor(Math.random() * 500));
    delay = Math.min(delay * 2, 30000);
  }

  // What may have been missed: the list, the open conversation's later messages and cursors.
  function catchUp() {
    refetchList();
    if (!S.cid || !S.detail) { return; }
    var gen = S.gen;
    function more(after, pages) {
      return api("GET", "/conversations/" + S.cid + "/messages?after=" + after + "&limit=" + 200).then(function (page) {
        if (gen !== S.gen) { return; }
        var list = page.messages || [];
        var near = nearBottom();
        addMessages(list);
        if (near) { scrollToBottom(); }
        var last = list.length ? list[list.length - 1].id : after;
        if (page.has_more && pages > 1) { return more(last, pages - 1); }
        if (page.has_more) { openConversation(S.cid, false); }
      });
    }
    more(S.order[S.order.length - 1] || 0, 10).then(function () {
      if (gen !== S.gen) { return; }
      reloadDetail();
      Object.keys(S.dings).forEach(function (id) { loadDing(Number(id), true); });
      if (S.thread) { loadThread(); }
      maybeMarkRead();
    }).catch(function () { /* the next reconnect tries again */ });
  }

  function conversationOf(topic, data) {
    if (data.conversation_id) { return Number(data.conversation_id); }
    if (data.message && data.message.conversation_id) { return Number(data.message.conversation_id); }
    if (topic && topic.indexOf(CONVERSATION_TOPIC) === 0) { return Number(topic.slice(CONVERSATION_TOPIC.length)); }
    return null;
  }

  function receive(topic, data) {
    var cid = conversationOf(topic, data);
    var open = cid !== null && cid === S.cid;
    switch (data.type) {
    case "message.new": onNew(data.message); break;
    case "message.changed": onChanged(data.message); break;
    case "message.reactions":
      if (open && S.messages[data.message_id]) {
        S.messages[data.message_id].reactions = data.reactions || [];
        rerender(data.message_id);
      } else if (open && threadMessage(data.message_id)) {
        threadMessage(data.message_id).reactions = data.reactions || [];
        replaceMessage(threadMessage(data.message_id));
      }
      break;
    case "read": onRead(cid, Number(data.person_id), Number(data.up_to_id)); break;
    case "ding.confirmed": onDingConfirmed(Number(data.message_id), Number(data.person_id)); break;
    case "ding.reminded":
      if (S.dings[data.message_id]) { loadDing(Number(data.message_id), true); }
      break;
    case "conversation.changed":
      refetchListSoon();
      if (open) { reloadDetail(); }
      break;
    case "conversation.joined": refetchListSoon(); break;
    case "conversation.left":
      refetchListSoon();
      if (open) { youLeft(); }
      break;
    case "signal":
      if (open && data.from !== ME && data.signal && data.signal.typing) { onTyping(Number(data.from)); }
      break;
    default: break;
    }
  }

  function onNew(m) {
    if (!m) { return; }
    var row = rowOf(m.conversation_id);
    var open = m.conversation_id === S.cid;
    if (!row) {
      refetchListSoon();
    } else if (!m.thread_root_id && m.id > (row.last_message_id || 0)) {
      row.last_message_id = m.id;
      row.last_message_at = m.created_at;
      row.last_excerpt = excerptOf(m);
      row.last_sender_name = m.sender_name;
      var seen = open && conversationVisible() && nearBottom();
      if (m.sender_id !== ME && m.kind !== "system" && !seen) {
        row.unread = (row.unread || 0) + 1;
        if (mentionsMe(m)) { row.mentions = (row.mentions || 0) + 1; }
      }
      sortRows();
      renderList();
    }
    if (!open) { return; }
    stopTyping(m.sender_id);
    if (m.thread_root_id) {
      onThreadReply(m);
      return;
    }
    if (S.messages[m.id]) { return; }
    var near = nearBottom();
    addMessages([m]);
    if (m.sender_id === ME && m.sender_id) {
      var mine = S.members[ME];
      if (mine) { mine.last_read_id = Math.max(mine.last_read_id, m.id); }
    }
    if (near || m.sender_id === ME) { scrollToBottom(); } else { show($("[data-action='jump']"), true); }
    if (m.sender_id !== ME && m.kind !== "system") {
      $("[data-chat-live]").textContent = fmt(gettext("New message from %(name)s: %(text)s"),
        { name: m.sender_name || gettext("a former member"), text: excerptOf(m) });
    }
    fetchCards(m);
    maybeMarkRead();
  }

  function onChanged(m) {
    if (!m) { return; }
    var row = rowOf(m.conversation_id);
    if (row && row.last_message_id === m.id) { row.last_excerpt = excerptOf(m); renderList(); }
    if (m.conversation_id !== S.cid) { return; }
    var before = S.messages[m.id] || threadMessage(m.id);
    replaceMessage(m);
    if (before && JSON.stringify(before.links || []) !== JSON.stringify(m.links || [])) { fetchCards(m); }
    if (m.recalled_at && S.dingDialogMid === m.id) { loadDing(m.id, true); }
  }

  function onRead(cid, personId, upTo) {
    if (personId === ME) {
      var row = rowOf(cid);
      if (row && upTo >= (row.last_message_id || 0) && (row.unread || row.mentions)) {
        row.unread = 0; row.mentions = 0; renderList();
      }
    }
    if (cid !== S.cid) { return; }
    var member = S.members[personId];
    if (member && upTo > member.last_read_id) {
      member.last_read_id = upTo;
      refreshReceipts();
    }
    Object.keys(S.dings).forEach(function (id) {
      var recipient = dingRecipient(S.dings[id], personId);
      if (recipient && Number(id) <= upTo && !recipient.read) { recipient.read = true; }
    });
  }

  function youLeft() {
    S.left = true;
    banner(gettext("You left this conversation."));
    show(composer, false);
    say($("[data-chat-readonly]"), gettext("You left this conversation."));
    closeThread(true);
  }

  // --- Typing ----------------------------------------------------------------------------------

  function onTyping(personId) {
    window.clearTimeout(S.typing[personId]);
    S.typing[personId] = window.setTimeout(function () { stopTyping(personId); }, TYPING_SHOWN_MS);
    renderTyping();
  }
  function stopTyping(personId) {
    if (S.typing[personId] === undefined) { return; }
    window.clearTimeout(S.typing[personId]);
    delete S.typing[personId];
    renderTyping();
  }
  function renderTyping() {
    var people = Object.keys(S.typing);
    var box = $("[data-chat-typing]");
    if (!people.length) { box.textContent = ""; return; }
    box.textContent = people.length === 1
      ? fmt(gettext("%(name)s is typing…"), { name: nameOf(Number(people[0])) })
      : gettext("Several people are typing…");
  }
  function signalTyping() {
    var now = Date.now();
    if (!S.cid || now - S.lastTyping < TYPING_EVERY_MS || !socket || socket.readyState !== 1) { return; }
    S.lastTyping = now;
    socket.send(JSON.stringify({ type: "signal", topic: CONVERSATION_TOPIC + S.cid, data: { typing: true } }));
  }

  // --- Drafts ------------------------------------------------------------------------------------

  function saveDraft(cid, text, keepalive) {
    if (!cid || text === S.savedDraft) { return; }
    S.savedDraft = text;
    var row = rowOf(cid);
    if (row) { row.draft = text; }
    api("PUT", "/conversations/" + cid + "/settings", { draft: text }, { keepalive: keepalive })
      .catch(function () { /* a lost draft is retyped, nothing else depends on it */ });
  }
  function scheduleDraft() {
    window.clearTimeout(S.draftTimer);
    var cid = S.cid;
    S.draftTimer = window.setTimeout(function () {
      if (cid === S.cid) { saveDraft(cid, input.value); }
    }, DRAFT_AFTER_MS);
  }
  function flushDraft(keepalive) {
    window.clearTimeout(S.draftTimer);
    if (S.cid && S.detail && !S.left) { saveDraft(S.cid, input.value, keepalive); }
  }

  // --- Composer --------------------------------------------------------------------------------

  function grow() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight + 2, 240) + "px";
  }
  function renderReply() {
    var bar = $("[data-chat-reply]");
    if (!S.replyTo) { bar.hidden = true; return; }
    $("[data-chat-reply-text]").textContent = fmt(gettext("Replying to %(name)s: %(text)s"),
      { name: S.replyTo.sender_name || gettext("a former member"), text: truncate(excerptOf(S.replyTo), 80) });
    bar.hidden = false;
  }

  var composing = false;
  var justComposed = false;
  input.addEventListener("compositionstart", function () { composing = true; });
  input.addEventListener("compositionend", function () {
    composing = false;
    // Safari sends the Enter that ends a Chinese composition after compositionend.
    justComposed = true;
    window.setTimeout(function () { justComposed = false; }, 0);
  });
  input.addEventListener("keydown", function (event) {
    if (mentionKey(event)) { return; }
    if (event.key === "Escape" && S.replyTo) { S.replyTo = null; renderReply(); return; }
    if (event.key !== "Enter" || event.shiftKey || event.altKey) { return; }
    if (event.isComposing || composing || justComposed || event.keyCode === 229) { return; }
    event.preventDefault();
    send();
  });
  input.addEventListener("input", function () {
    S.sendKey = null;  // a changed text is a new message
    grow();
    scheduleDraft();
    if (input.value.trim()) { signalTyping(); }
    updateMentions();
  });
  input.addEventListener("click", updateMentions);
  input.addEventListener("blur", function () { window.setTimeout(closeMentions, 150); });
  input.addEventListener("paste", function (event) {
    var files = event.clipboardData && event.clipboardData.files;
    if (files && files.length) { event.preventDefault(); addFiles(files); }
  });
  composer.addEventListener("dragover", function (event) { event.preventDefault(); });
  composer.addEventListener("drop", function (event) {
    if (event.dataTransfer && event.dataTransfer.files.length) { event.preventDefault(); addFiles(event.dataTransfer.files); }
  });
  composer.addEventListener("submit", function (event) { event.preventDefault(); send(); });

  function send() {
    var error = $("[data-chat-error]");
    if (S.sending || !S.cid || !S.detail) { return; }
    var body = input.value.trim();
    var uploading = S.files.some(function (f) { return f.state === "uploading"; });
    var failed = S.files.some(function (f) { return f.state === "failed"; });
    if (uploading) { say(error, gettext("Wait until the files have finished uploading.")); return; }
    if (failed) { say(error, gettext("Remove the files that could not be uploaded, then send.")); return; }
    var ids = S.files.map(function (f) { return f.id; });
    if (!body && !ids.length) { return; }
    var payload = { body: body, attachment_ids: ids };
    if (S.replyTo) { payload.reply_to_id = S.replyTo.id; }
    if (S.dingOn) {
      var ding = dingPayload();
      if (!ding) { return; }
      payload.ding = ding;
    }
    S.sendKey = S.sendKey || newKey();
    payload.client_key = S.sendKey;
    S.sending = true;
    var button = $("[data-chat-send]");
    button.disabled = true;
    say(error, "");
    var cid = S.cid;
    var gen = S.gen;
    api("POST", "/conversations/" + cid + "/messages", payload).then(function (m) {
      S.sendKey = null;
      if (gen !== S.gen) { return; }
      input.value = "";
      grow();
      S.replyTo = null; renderReply();
      S.files = []; renderFiles();
      setDing(false);
      window.clearTimeout(S.draftTimer);
      saveDraft(cid, "");
      if (m.thread_root_id) { onThreadReply(m); } else { onNew(m); }
      scrollToBottom();
      input.focus();
    }).catch(function (problemError) {
      // The key stays: sending the same text again cannot post it twice.
      if (gen === S.gen) { say(error, problem(problemError)); }
    }).then(function () {
      S.sending = false;
      button.disabled = false;
    });
  }

  // --- Files -----------------------------------------------------------------------------------

  function renderFiles() {
    var list = $("[data-chat-files]");
    clear(list);
    S.files.forEach(function (file) {
      var state = file.state === "uploading" ? gettext("Uploading…")
        : file.state === "failed" ? file.error : fileSize(file.size);
      list.appendChild(h("li", { "class": "chat-file-chip" + (file.state === "failed" ? " is-failed" : ""), "data-testid": "pending-file" }, [
        h("span", { "class": "chat-file-name" }, file.name), " ",
        h("span", { "class": "small muted" }, state), " ",
        h("button", { type: "button", "class": "link-button small", "data-action": "remove-file", "data-key": file.key,
                      "aria-label": fmt(gettext("Remove %(name)s"), { name: file.name }) }, gettext("Remove"))
      ]));
    });
    list.hidden = !S.files.length;
  }
  function addFiles(fileList) {
    if (!S.cid) { return; }
    var cid = S.cid;
    Array.prototype.forEach.call(fileList, function (file) {
      var entry = { key: newKey(), name: file.name, size: file.size, state: "uploading", id: null, error: "" };
      S.files.push(entry);
      var data = new FormData();
      data.append("file", file);
      api("POST", "/conversations/" + cid + "/files", data).then(function (attachment) {
        entry.id = attachment.id;
        entry.state = "done";
      }).catch(function (error) {
        entry.state = "failed";
        entry.error = problem(error);
      }).then(renderFiles);
    });
    renderFiles();
  }
  var fileInput = $("[data-chat-file]");
  fileInput.addEventListener("change", function () {
    addFiles(fileInput.files);
    fileInput.value = "";
  });

  // --- @-mentions ------------------------------------------------------------------------------

  var mention = { items: [], index: 0 };
  var mentionList = $("[data-chat-mentions]");

  function mentionQuery() {
    var position = input.selectionStart;
    if (position !== input.selectionEnd) { return null; }
    var match = /(^|[\s(（，,。：:])@([^\s@]{0,40})$/.exec(input.value.slice(0, position));
    return match ? { start: position - match[2].length - 1, end: position, query: match[2] } : null;
  }
  function updateMentions() {
    var query = mentionQuery();
    if (!query || !S.detail) { closeMentions(); return; }
    var needle = query.query.toLocaleLowerCase();
    var items = [];
    if (S.detail.may_mention_all && ("all".indexOf(needle) === 0 || "所有人".indexOf(query.query) === 0)) {
      items.push({ word: "all", label: gettext("Everyone (@all)") });
    }
    (S.detail.members || []).forEach(function (member) {
      if (member.person_id === ME || items.length >= 8) { return; }
      var username = S.usernames[member.person_id] || "";
      if (!needle || member.name.toLocaleLowerCase().indexOf(needle) >= 0 ||
          username.toLowerCase().indexOf(needle) === 0) {
        items.push({ word: username, personId: member.person_id, label: member.name });
      }
    });
    if (!items.length) { closeMentions(); return; }
    mention.items = items;
    mention.index = 0;
    renderMentions();
  }
  function renderMentions() {
    clear(mentionList);
    mention.items.forEach(function (item, index) {
      var option = h("li", { role: "option", id: "chat-mention-" + index, "class": "chat-mention",
                             "aria-selected": index === mention.index ? "true" : "false",
                             "data-index": index }, item.label);
      option.addEventListener("mousedown", function (event) { event.preventDefault(); pickMention(item); });
      mentionList.appendChild(option);
    });
    mentionList.hidden = false;
    input.setAttribute("aria-expanded", "true");
    input.setAttribute("aria-activedescendant", "chat-mention-" + mention.index);
  }
  function closeMentions() {
    mention.items = [];
    mentionList.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }
  function mentionKey(event) {
    if (mentionList.hidden || !mention.items.length) { return false; }
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      var step = event.key === "ArrowDown" ? 1 : -1;
      mention.index = (mention.index + step + mention.items.length) % mention.items.length;
      renderMentions();
      return true;
    }
    if ((event.key === "Enter" || event.key === "Tab") && !event.isComposing && !composing) {
      event.preventDefault();
      pickMention(mention.items[mention.index]);
      return true;
    }
    if (event.key === "Escape") { event.preventDefault(); closeMentions(); return true; }
    return false;
  }
  function insertMention(word) {
    var query = mentionQuery();
    var value = input.value;
    var start = query ? query.start : input.selectionStart;
    var end = query ? query.end : input.selectionStart;
    var text = "@" + word + " ";
    input.value = value.slice(0, start) + text + value.slice(end);
    var caret = start + text.length;
    input.setSelectionRange(caret, caret);
    closeMentions();
    input.focus();
    S.sendKey = null;
    scheduleDraft();
  }
  // Mentions are written as @username; the member list carries names, so the username of
  // someone not looked up yet comes from the directory.
  function pickMention(item) {
    if (item.word) { insertMention(item.word); return; }
    closeMentions();
    request("GET", PEOPLE_URL + "?limit=20&search=" + encodeURIComponent(item.label)).then(function (data) {
      (data.items || data || []).forEach(function (person) { S.usernames[person.id] = person.username; });
      if (S.usernames[item.personId]) { insertMention(S.usernames[item.personId]); }
    }).catch(function () { /* the person can still be named by hand */ });
  }

  // --- DING composer -----------------------------------------------------------------------------

  function setDing(on) {
    S.dingOn = Boolean(on);
    var toggle = $("[data-action='ding']");
    if (toggle) { toggle.setAttribute("aria-pressed", S.dingOn ? "true" : "false"); }
    show($("[data-chat-ding]"), S.dingOn);
    composer.classList.toggle("is-ding", S.dingOn);
    if (S.dingOn) {
      renderDingRecipients();
      loadDingChannels();
    }
  }
  function renderDingRecipients() {
    var box = $("[data-ding-recipients]");
    var before = {};
    box.querySelectorAll("input").forEach(function (check) { before[check.value] = check.checked; });
    clear(box);
    (S.detail ? S.detail.members : []).forEach(function (member) {
      if (member.person_id === ME) { return; }
      var id = "ding-person-" + member.person_id;
      var checked = before[member.person_id] === undefined ? true : before[member.person_id];
      box.appendChild(h("label", { "class": "check", "for": id }, [
        h("input", { type: "checkbox", id: id, value: member.person_id, checked: checked, "data-testid": "ding-recipient" }),
        member.name
      ]));
    });
  }
  function loadDingChannels() {
    var box = $("[data-ding-channels]");
    function render() {
      if (box.childNodes.length) { return; }
      (S.dingChannels || [{ code: "in_app", label: gettext("In the app") }]).forEach(function (channel) {
        var id = "ding-channel-" + channel.code;
        var always = channel.code === "in_app";
        box.appendChild(h("label", { "class": "check", "for": id }, [
          h("input", { type: "checkbox", id: id, value: channel.code, checked: always, disabled: always,
                       "data-testid": "ding-channel" }),
          channel.label
        ]));
      });
    }
    if (S.dingChannels) { render(); return; }
    api("GET", "/ding/channels").then(function (channels) {
      S.dingChannels = channels || [];
      render();
    }).catch(function () { render(); });
  }
  function dingPayload() {
    var error = $("[data-chat-error]");
    var recipients = [];
    $("[data-ding-recipients]").querySelectorAll("input:checked").forEach(function (check) {
      recipients.push(Number(check.value));
    });
    if (!recipients.length) { say(error, gettext("Choose at least one person who must confirm.")); return null; }
    var channels = [];
    $("[data-ding-channels]").querySelectorAll("input:checked").forEach(function (check) { channels.push(check.value); });
    if (channels.indexOf("in_app") < 0) { channels.unshift("in_app"); }
    var interval = Number($("[data-ding-interval]").value);
    var most = Number($("[data-ding-max]").value);
    if (!(interval >= 5 && interval <= 1440)) {
      say(error, gettext("Remind every: choose between 5 and 1440 minutes."));
      $("[data-ding-interval]").focus();
      return null;
    }
    if (!(most >= 1 && most <= 20)) {
      say(error, gettext("Reminders: choose between 1 and 20."));
      $("[data-ding-max]").focus();
      return null;
    }
    return { recipient_ids: recipients, channels: channels, interval_minutes: Math.round(interval),
             max_reminders: Math.round(most) };
  }

  // --- DING state ------------------------------------------------------------------------------

  function loadDing(id, force) {
    if (S.dingLoading[id] || (S.dings[id] && !force)) { return Promise.resolve(S.dings[id]); }
    S.dingLoading[id] = true;
    var gen = S.gen;
    return api("GET", "/messages/" + id + "/ding").then(function (state) {
      if (gen !== S.gen) { return null; }
      S.dings[id] = state;
      rerender(id);
      if (S.dingDialogMid === id) { renderDingStatus(id); }
      return state;
    }).catch(function () { return null; }).then(function (state) {
      delete S.dingLoading[id];
      return state;
    });
  }
  function onDingConfirmed(id, personId) {
    var state = S.dings[id];
    if (!state) { loadDing(id, true); return; }
    var recipient = dingRecipient(state, personId);
    if (recipient && !recipient.confirmed_at) {
      recipient.confirmed_at = new Date().toISOString();
      recipient.read = true;
      state.confirmed = (state.confirmed || 0) + 1;
      rerender(id);
    }
    if (S.dingDialogMid === id) { loadDing(id, true); }
  }
  function confirmDing(id) {
    api("POST", "/messages/" + id + "/ding/confirm").then(function () {
      onDingConfirmed(id, ME);
    }).catch(function (error) { window.alert(problem(error)); });
  }

  // --- Reactions, replies, edits, recalls ----------------------------------------------------------

  function react(id, emoji) {
    var m = S.messages[id] || threadMessage(id);
    if (!m) { return; }
    var on = !(m.reactions || []).some(function (r) { return r.emoji === emoji && r.person_ids.indexOf(ME) >= 0; });
    api("POST", "/messages/" + id + "/reactions", { emoji: emoji, on: on }).then(function (answer) {
      var reactions = Array.isArray(answer) ? answer : (answer && answer.reactions) || m.reactions;
      m.reactions = reactions;
      replaceMessage(m);
    }).catch(function (error) { window.alert(problem(error)); });
  }
  function startEdit(id, node) {
    var m = S.messages[id] || threadMessage(id);
    if (!m || !node) { return; }
    var bubble = node.querySelector(".chat-bubble");
    var area = h("textarea", { "class": "chat-edit-input", rows: 3, "aria-label": gettext("Edit the message"),
                               "data-testid": "edit-input", maxlength: 20000 });
    area.value = m.body;
    var note = h("p", { "class": "field-error", role: "alert", hidden: true });
    var form = h("form", { "class": "chat-edit" }, [area, h("div", { "class": "buttons" }, [
      h("button", { type: "submit", "class": "button small", "data-testid": "edit-save" }, gettext("Save")),
      h("button", { type: "button", "class": "button small secondary", "data-cancel": "1" }, gettext("Cancel"))
    ]), note]);
    var editing = false;
    var inThread = !nodeOf(id) || !messageList.contains(node);
    function refocus() {
      var again = inThread ? threadList().querySelector("[data-message-id='" + id + "']") : nodeOf(id);
      var summary = again && again.querySelector("summary");
      if (summary) { summary.focus(); }
    }
    function cancel() {
      rerender(id, true);
      refocus();
    }
    function save() {
      if (editing) { return; }
      editing = true;
      api("PATCH", "/messages/" + id, { body: area.value }).then(function (updated) {
        replaceMessage(updated, true);
        refocus();
      }).catch(function (error) { editing = false; say(note, problem(error)); });
    }
    form.addEventListener("submit", function (event) { event.preventDefault(); save(); });
    form.querySelector("[data-cancel]").addEventListener("click", cancel);
    var editComposing = false;
    area.addEventListener("compositionstart", function () { editComposing = true; });
    area.addEventListener("compositionend", function () { editComposing = false; });
    area.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { event.preventDefault(); cancel(); }
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && !editComposing && event.keyCode !== 229) {
        event.preventDefault();
        save();
      }
    });
    clear(bubble);
    bubble.appendChild(form);
    area.focus();
  }
  function recall(id) {
    if (!window.confirm(gettext("Recall this message? Everyone in the conversation will see that it was recalled."))) { return; }
    api("POST", "/messages/" + id + "/recall").then(function (updated) {
      if (updated && updated.id) { replaceMessage(updated); }
    }).catch(function (error) { window.alert(problem(error)); });
  }

  // --- Threads ---------------------------------------------------------------------------------

  var threadPanel = $("[data-chat-thread]");
  function threadList() { return $("[data-chat-thread-messages]"); }
  function threadMessage(id) {
    if (!S.thread) { return null; }
    if (S.thread.root === id) { return S.thread.rootMessage; }
    return S.thread.messages[id] || null;
  }
  function openThread(rootId, opener) {
    var rootMessage = S.messages[rootId];
    if (!rootMessage) { return; }
    S.thread = { root: rootId, rootMessage: rootMessage, messages: {}, opener: opener };
    threadPanel.hidden = false;
    root.classList.add("has-thread");
    clear(threadList());
    threadList().appendChild(messageNode(rootMessage, true));
    loadThread();
    $("#chat-thread-title", threadPanel).focus();
  }
  function loadThread() {
    if (!S.thread) { return; }
    var thread = S.thread;
    api("GET", "/conversations/" + S.cid + "/messages?thread=" + thread.root + "&limit=200").then(function (page) {
      if (S.thread !== thread) { return; }
      (page.messages || []).forEach(function (m) { addThreadMessage(m); });
    }).catch(function (error) { say($("[data-chat-thread-error]"), problem(error)); });
  }
  function addThreadMessage(m) {
    var thread = S.thread;
    if (!thread || thread.messages[m.id]) { return; }
    thread.messages[m.id] = m;
    var ids = Object.keys(thread.messages).map(Number).sort(function (a, b) { return a - b; });
    var node = messageNode(m, true);
    var after = ids.indexOf(m.id) + 1 < ids.length
      ? threadList().querySelector("[data-message-id='" + ids[ids.indexOf(m.id) + 1] + "']") : null;
    threadList().insertBefore(node, after);
    if (m.ding) { loadDing(m.id); }
  }
  function onThreadReply(m) {
    var known = S.thread && S.thread.root === m.thread_root_id && S.thread.messages[m.id];
    if (S.thread && S.thread.root === m.thread_root_id) {
      addThreadMessage(m);
      fetchCards(m);
    }
    var rootMessage = S.messages[m.thread_root_id];
    if (rootMessage && !known && !(rootMessage.seenReplies || {})[m.id]) {
      rootMessage.seenReplies = rootMessage.seenReplies || {};
      rootMessage.seenReplies[m.id] = true;
      rootMessage.thread_reply_count = (rootMessage.thread_reply_count || 0) + 1;
      rerender(rootMessage.id);
    }
  }
  function closeThread(quiet) {
    var thread = S.thread;
    S.thread = null;
    if (threadPanel) { threadPanel.hidden = true; }
    root.classList.remove("has-thread");
    say($("[data-chat-thread-error]"), "");
    if (!quiet && thread && thread.opener && document.contains(thread.opener)) { thread.opener.focus(); }
  }
  var threadInput = $("[data-chat-thread-input]");
  var threadKey = null;
  var threadComposing = false;
  threadInput.addEventListener("compositionstart", function () { threadComposing = true; });
  threadInput.addEventListener("compositionend", function () { threadComposing = false; });
  threadInput.addEventListener("input", function () { threadKey = null; if (threadInput.value.trim()) { signalTyping(); } });
  threadInput.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { event.preventDefault(); closeThread(); return; }
    if (event.key !== "Enter" || event.shiftKey || event.isComposing || threadComposing || event.keyCode === 229) { return; }
    event.preventDefault();
    sendThread();
  });
  $("[data-chat-thread-form]").addEventListener("submit", function (event) { event.preventDefault(); sendThread(); });
  function sendThread() {
    var body = threadInput.value.trim();
    if (!body || !S.thread || S.left) { return; }
    threadKey = threadKey || newKey();
    var thread = S.thread;
    api("POST", "/conversations/" + S.cid + "/messages",
        { body: body, reply_to_id: thread.root, in_thread: true, client_key: threadKey }).then(function (m) {
      threadKey = null;
      threadInput.value = "";
      say($("[data-chat-thread-error]"), "");
      onThreadReply(m);
    }).catch(function (error) { say($("[data-chat-thread-error]"), problem(error)); });
  }

  // --- Search in the conversation ----------------------------------------------------------------

  var searchBox = $("[data-chat-search]");
  function openSearch() {
    searchBox.hidden = false;
    $("[data-action='search']").setAttribute("aria-expanded", "true");
    $("[data-chat-search-input]").focus();
  }
  function closeSearch() {
    if (!searchBox) { return; }
    var wasOpen = !searchBox.hidden;
    searchBox.hidden = true;
    $("[data-action='search']").setAttribute("aria-expanded", "false");
    clear($("[data-chat-search-results]"));
    say($("[data-chat-search-status]"), "");
    if (wasOpen && searchBox.contains(document.activeElement)) { $("[data-action='search']").focus(); }
  }
  $("[data-chat-search-form]").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = $("[data-chat-search-input]").value.trim();
    var results = $("[data-chat-search-results]");
    var status = $("[data-chat-search-status]");
    if (!text || !S.cid) { return; }
    status.textContent = gettext("Searching…");
    api("GET", "/search?q=" + encodeURIComponent(text) + "&conversation_id=" + S.cid).then(function (found) {
      clear(results);
      status.textContent = found.length
        ? fmt(ngettext("%(count)s message found.", "%(count)s messages found.", found.length), { count: found.length })
        : gettext("No message matches.");
      found.forEach(function (m) {
        results.appendChild(h("li", {}, h("button", { type: "button", "class": "chat-search-hit", "data-action": "goto",
                                                       "data-mid": m.id, "data-root": m.thread_root_id || null }, [
          h("span", { "class": "small muted" }, when(m.created_at) + " · " + (m.sender_name || "")), " ",
          h("span", {}, truncate(m.body, EXCERPT))
        ])));
      });
    }).catch(function (error) { status.textContent = problem(error); });
  });

  // --- Dialogs -------------------------------------------------------------------------------------

  function dialog(name) { return document.querySelector("dialog[data-dialog='" + name + "']"); }
  function openDialog(name, opener) {
    var box = dialog(name);
    say(box.querySelector("[data-dialog-error]"), "");
    say(box.querySelector("[data-dialog-done]"), "");
    box.opener = opener || document.activeElement;
    if (box.showModal) { if (!box.open) { box.showModal(); } } else { box.setAttribute("open", ""); }
    var first = box.querySelector("[autofocus]") || box.querySelector("input:not([type=hidden]), select, textarea, button");
    if (first) { first.focus(); }
    return box;
  }
  function closeDialog(box) {
    if (box.close) { box.close(); } else { box.removeAttribute("open"); box.dispatchEvent(new Event("close")); }
  }
  document.querySelectorAll("dialog[data-dialog]").forEach(function (box) {
    box.addEventListener("close", function () {
      if (box.getAttribute("data-dialog") === "ding") { S.dingDialogMid = null; }
      if (box.opener && document.contains(box.opener)) { box.opener.focus(); }
    });
    box.addEventListener("click", function (event) {
      if (event.target.closest("[data-close]")) { closeDialog(box); }
    });
  });
  function dialogError(box, error) {
    var place = box.querySelector("[data-dialog-error]");
    say(place, typeof error === "string" ? error : problem(error));
    say(box.querySelector("[data-dialog-done]"), "");
    place.scrollIntoView({ block: "nearest" });
  }
  function dialogDone(box, text) {
    var place = box.querySelector("[data-dialog-done]");
    say(place, text);
    say(box.querySelector("[data-dialog-error]"), "");
    place.scrollIntoView({ block: "nearest" });
  }

  // People pickers: type a name, choose from the directory's answers.
  function personLabel(person) {
    var name = person.name_zh || person.name_en || person.username;
    return person.name_en && person.name_en !== name ? name + " · " + person.name_en : name;
  }
  function picker(box, onPick) {
    var field = box.querySelector("[data-picker-input]");
    var results = box.querySelector("[data-picker-results]");
    var chosenList = box.querySelector("[data-picker-chosen]");
    var single = box.hasAttribute("data-single");
    var chosen = [];
    var timer = null;
    var asked = 0;
    var state = { exclude: {} };
    function renderChosen() {
      if (!chosenList) { return; }
      clear(chosenList);
      chosen.forEach(function (person, index) {
        var remove = h("button", { type: "button", "class": "link-button small",
                                   "aria-label": fmt(gettext("Remove %(name)s"), { name: person.label }) }, "×");
        remove.addEventListener("click", function () { chosen.splice(index, 1); renderChosen(); field.focus(); });
        chosenList.appendChild(h("li", { "class": "chat-chip" }, [person.label, " ", remove]));
      });
    }
    function pick(person) {
      results.hidden = true;
      if (single) { onPick(person); return; }
      if (!chosen.some(function (c) { return c.id === person.id; })) {
        chosen.push({ id: person.id, label: personLabel(person) });
      }
      field.value = "";
      renderChosen();
      field.focus();
    }
    function search() {
      var text = field.value.trim();
      if (!text) { results.hidden = true; return; }
      var mine = ++asked;
      request("GET", PEOPLE_URL + "?limit=8&search=" + encodeURIComponent(text)).then(function (data) {
        if (mine !== asked) { return; }
        clear(results);
        var people = (data.items || data || []).filter(function (person) {
          return person.id !== ME && person.is_active !== false && !state.exclude[person.id];
        });
        people.forEach(function (person) {
          S.usernames[person.id] = person.username;
          var button = h("button", { type: "button", "class": "chat-picker-option", "data-person-id": person.id },
                         [personLabel(person), " ", h("span", { "class": "small muted" }, person.username)]);
          button.addEventListener("click", function () { pick(person); });
          results.appendChild(h("li", {}, button));
        });
        if (!people.length) { results.appendChild(h("li", { "class": "muted small" }, gettext("Nothing found."))); }
        results.hidden = false;
      }).catch(function () {
        if (mine !== asked) { return; }
        clear(results);
        results.appendChild(h("li", { "class": "muted small" }, gettext("The search failed; try again.")));
        results.hidden = false;
      });
    }
    field.addEventListener("input", function () { window.clearTimeout(timer); timer = window.setTimeout(search, 250); });
    field.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); window.clearTimeout(timer); search(); }
      if (event.key === "ArrowDown") {
        var first = results.querySelector("button");
        if (first && !results.hidden) { event.preventDefault(); first.focus(); }
      }
    });
    results.addEventListener("keydown", function (event) {
      var buttons = Array.prototype.slice.call(results.querySelectorAll("button"));
      var index = buttons.indexOf(document.activeElement);
      if (event.key === "ArrowDown" && index < buttons.length - 1) { event.preventDefault(); buttons[index + 1].focus(); }
      if (event.key === "ArrowUp") { event.preventDefault(); (index > 0 ? buttons[index - 1] : field).focus(); }
      if (event.key === "Escape") { event.preventDefault(); event.stopPropagation(); results.hidden = true; field.focus(); }
    });
    state.ids = function () { return chosen.map(function (c) { return c.id; }); };
    state.reset = function () { chosen = []; field.value = ""; results.hidden = true; renderChosen(); };
    return state;
  }

  // New group / announcement channel
  var groupDialog = dialog("group");
  var groupForm = groupDialog.querySelector("[data-group-form]");
  var groupPicker = picker(groupDialog.querySelector("[data-picker]"));
  var groupKind = "group";
  function openGroupDialog(kind, opener) {
    groupKind = kind;
    groupForm.reset();
    groupPicker.reset();
    show(groupDialog.querySelector("[data-group-heading]"), kind === "group");
    show(groupDialog.querySelector("[data-channel-heading]"), kind === "channel");
    show(groupDialog.querySelector("[data-channel-help]"), kind === "channel");
    openDialog("group", opener);
  }
  groupForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var title = groupForm.elements.title.value.trim();
    if (!title) { dialogError(groupDialog, gettext("Name: give the group a name.")); groupForm.elements.title.focus(); return; }
    var button = groupForm.querySelector("[type=submit]");
    button.disabled = true;
    api("POST", "/conversations", {
      kind: groupKind, title: title, description: groupForm.elements.description.value.trim(),
      member_ids: groupPicker.ids(), join_rule: groupForm.elements.join_rule.value
    }).then(function (created) {
      closeDialog(groupDialog);
      return refetchList().then(function () { openConversation(created.id, true); });
    }).catch(function (error) { dialogError(groupDialog, error); }).then(function () { button.disabled = false; });
  });

  // New direct message
  var directDialog = dialog("direct");
  var directPicker = picker(directDialog.querySelector("[data-picker]"), function (person) {
    api("POST", "/direct", { person_id: person.id }).then(function (conversation) {
      closeDialog(directDialog);
      return refetchList().then(function () { openConversation(conversation.id, true); });
    }).catch(function (error) { dialogError(directDialog, error); });
  });

  // Join an open group
  var joinDialog = dialog("join");
  var joinTimer = null;
  function loadOpenGroups() {
    var text = joinDialog.querySelector("[data-join-search]").value.trim();
    var list = joinDialog.querySelector("[data-join-list]");
    var status = joinDialog.querySelector("[data-join-status]");
    api("GET", "/open-groups?q=" + encodeURIComponent(text)).then(function (groups) {
      clear(list);
      status.textContent = groups.length ? "" : gettext("No open group to join.");
      groups.forEach(function (group) {
        list.appendChild(h("li", { "data-testid": "open-group" }, [
          h("div", { "class": "grow" }, [
            h("strong", {}, group.title), " ",
            h("span", { "class": "small muted" }, fmt(ngettext("%(count)s member", "%(count)s members", group.member_count),
                                                        { count: group.member_count })),
            group.description ? h("div", { "class": "small muted" }, truncate(group.description, 200)) : null
          ]),
          h("button", { type: "button", "class": "button small", "data-action": "join-one", "data-id": group.id,
                        "aria-label": fmt(gettext("Join %(title)s"), { title: group.title }) }, gettext("Join"))
        ]));
      });
    }).catch(function (error) { status.textContent = problem(error); });
  }
  joinDialog.querySelector("[data-join-search]").addEventListener("input", function () {
    window.clearTimeout(joinTimer);
    joinTimer = window.setTimeout(loadOpenGroups, 250);
  });
  function join(id) {
    api("POST", "/conversations/" + id + "/join").then(function () {
      closeDialog(joinDialog);
      return refetchList().then(function () { openConversation(id, true); });
    }).catch(function (error) { dialogError(joinDialog, error); });
  }

  // Members, settings, bots, leaving
  var membersDialog = dialog("members");
  var addPicker = picker(membersDialog.querySelector("[data-members-add]"));
  var ROLE_LABELS = { owner: gettext("Owner"), admin: gettext("Admin"), member: gettext("Member") };
  function renderMembers() {
    var detail = S.detail;
    if (!detail) { return; }
    var list = membersDialog.querySelector("[data-members-list]");
    var members = detail.members || [];
    membersDialog.querySelector("[data-members-count]").textContent =
      fmt(ngettext("%(count)s member", "%(count)s members", members.length), { count: members.length });
    var editable = !detail.archived && (detail.kind === "group" || detail.kind === "channel");
    var owner = detail.role === "owner";
    clear(list);
    members.forEach(function (member) {
      var me = member.person_id === ME;
      var parts = [
        h("span", { "class": "chat-dot" + (member.online ? " is-online" : "") }, hidden(member.online ? gettext("Online") : gettext("Offline"))),
        h("span", { "class": "grow" }, [member.name, me ? " " + gettext("(you)") : ""]),
        member.role !== "member" ? h("span", { "class": "pill" }, ROLE_LABELS[member.role] || member.role) : null
      ];
      if (editable && !me && owner) {
        var select = h("select", { "aria-label": fmt(gettext("Role of %(name)s"), { name: member.name }),
                                   "data-action-change": "role", "data-person-id": member.person_id, "class": "chat-role" },
          ["member", "admin", "owner"].map(function (role) {
            return h("option", { value: role, selected: role === member.role },
                     role === "owner" ? gettext("Owner (hand over)") : ROLE_LABELS[role]);
          }));
        parts.push(select);
      }
      var mayRemove = editable && !me && member.role !== "owner" && detail.may_manage &&
        (member.role !== "admin" || owner);
      if (mayRemove) {
        parts.push(h("button", { type: "button", "class": "button small danger", "data-action": "remove-member",
                                 "data-person-id": member.person_id,
                                 "aria-label": fmt(gettext("Remove %(name)s"), { name: member.name }) }, gettext("Remove")));
      }
      list.appendChild(h("li", { "data-testid": "member", "data-person-id": member.person_id }, parts));
    });
    addPicker.exclude = {};
    members.forEach(function (member) { addPicker.exclude[member.person_id] = true; });
  }
  function openMembers(opener) {
    var detail = S.detail;
    if (!detail) { return; }
    var groupish = detail.kind === "group" || detail.kind === "channel";
    var open = !detail.archived && !S.left;
    renderMembers();
    addPicker.reset();
    show(membersDialog.querySelector("[data-members-add]"), open && groupish && (detail.may_manage || detail.join_rule === "open"));
    var settingsForm = membersDialog.querySelector("[data-settings-form]");
    show(membersDialog.querySelector("[data-settings-section]"), open && detail.kind !== "direct" && detail.may_manage);
    settingsForm.elements.title.value = detail.title || "";
    settingsForm.elements.description.value = detail.description || "";
    settingsForm.elements.join_rule.value = detail.join_rule || "invite";
    settingsForm.elements.members_may_mention_all.checked = Boolean(detail.members_may_mention_all);
    var bots = open && detail.kind !== "direct" && detail.may_manage;
    show(membersDialog.querySelector("[data-bots-section]"), bots);
    show(membersDialog.querySelector("[data-bot-secret]"), false);
    if (bots) { loadBots(); }
    show(membersDialog.querySelector("[data-leave-section]"), groupish && !S.left);
    openDialog("members", opener);
  }
  function afterMemberChange(text) {
    dialogDone(membersDialog, text);
    reloadDetail().then(renderMembers);
  }
  membersDialog.addEventListener("change", function (event) {
    var select = event.target.closest("[data-action-change='role']");
    if (!select || !S.cid) { return; }
    var personId = Number(select.getAttribute("data-person-id"));
    if (select.value === "owner" && !window.confirm(gettext("Hand this conversation over? You become an admin."))) {
      renderMembers();
      return;
    }
    api("PUT", "/conversations/" + S.cid + "/members/" + personId + "/role", { role: select.value })
      .then(function () { afterMemberChange(gettext("The role is changed.")); })
      .catch(function (error) { dialogError(membersDialog, error); renderMembers(); });
  });
  membersDialog.querySelector("[data-settings-form]").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target;
    var title = form.elements.title.value.trim();
    if (!title) { dialogError(membersDialog, gettext("Name: give the group a name.")); form.elements.title.focus(); return; }
    api("PATCH", "/conversations/" + S.cid, {
      title: title, description: form.elements.description.value.trim(),
      join_rule: form.elements.join_rule.value,
      members_may_mention_all: form.elements.members_may_mention_all.checked
    }).then(function () {
      afterMemberChange(gettext("The settings are saved."));
      refetchListSoon();
    }).catch(function (error) { dialogError(membersDialog, error); });
  });

  var FEED_LABELS = { "conservation.alerts": gettext("Conservation alerts") };
  function loadBots() {
    var list = membersDialog.querySelector("[data-bots-list]");
    api("GET", "/conversations/" + S.cid + "/bots").then(function (bots) {
      clear(list);
      (bots || []).forEach(function (bot) {
        var details = [];
        if (bot.token_hint) { details.push(fmt(gettext("token ending in %(hint)s"), { hint: bot.token_hint })); }
        if (bot.outgoing_url) { details.push(fmt(gettext("sends mentions to %(url)s"), { url: bot.outgoing_url })); }
        (bot.feeds || []).forEach(function (feed) {
          details.push(typeof feed === "string" ? FEED_LABELS[feed] || feed : feed.label || FEED_LABELS[feed.code] || feed.code);
        });
        list.appendChild(h("li", { "data-testid": "bot", "data-bot-id": bot.id }, [
          h("div", { "class": "grow" }, [h("strong", {}, bot.name), h("div", { "class": "small muted" }, details.join(" · "))]),
          h("button", { type: "button", "class": "button small secondary", "data-action": "bot-rotate", "data-bot-id": bot.id,
                        "aria-label": fmt(gettext("New token for %(name)s"), { name: bot.name }) }, gettext("New token")),
          h("button", { type: "button", "class": "button small danger", "data-action": "bot-delete", "data-bot-id": bot.id,
                        "aria-label": fmt(gettext("Delete %(name)s"), { name: bot.name }) }, gettext("Delete"))
        ]));
      });
      if (!bots || !bots.length) { list.appendChild(h("li", { "class": "muted small" }, gettext("No bots yet."))); }
    }).catch(function (error) { dialogError(membersDialog, error); });
  }
  function showSecret(answer) {
    if (!answer || !answer.token) { return; }
    membersDialog.querySelector("[data-bot-hook]").textContent = answer.hook_url || "";
    membersDialog.querySelector("[data-bot-token]").textContent = answer.token;
    membersDialog.querySelector("[data-bot-signing]").textContent = answer.outgoing_secret || "";
    show(membersDialog.querySelector("[data-bot-signing-row]"), Boolean(answer.outgoing_secret));
    show(membersDialog.querySelector("[data-bot-secret]"), true);
  }
  membersDialog.querySelector("[data-bot-form]").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target;
    var name = form.elements.name.value.trim();
    if (!name) { dialogError(membersDialog, gettext("Name: give the bot a name.")); form.elements.name.focus(); return; }
    var body = { name: name, outgoing_url: form.elements.outgoing_url.value.trim(),
                 feeds: form.elements.feed_alerts.checked ? ["conservation.alerts"] : [] };
    api("POST", "/conversations/" + S.cid + "/bots", body).then(function (answer) {
      form.reset();
      say(membersDialog.querySelector("[data-dialog-error]"), "");
      showSecret(answer);
      loadBots();
      membersDialog.querySelector("[data-bot-token]").focus();
    }).catch(function (error) { dialogError(membersDialog, error); });
  });

  // --- Receipts and DING status dialogs -------------------------------------------------------------

  function openReceipts(id, opener) {
    var box = openDialog("receipts", opener);
    var read = box.querySelector("[data-receipts-read]");
    var unread = box.querySelector("[data-receipts-unread]");
    clear(read); clear(unread);
    var m = S.messages[id];
    box.querySelector("[data-receipts-line]").textContent = m ? receiptText(m) : "";
    api("GET", "/messages/" + id + "/receipts").then(function (answer) {
      box.querySelector("[data-receipts-line]").textContent = answer.line || "";
      (answer.read || []).forEach(function (person) {
        read.appendChild(h("li", { "data-person-id": person.person_id }, [
          h("span", { "class": "grow" }, person.name),
          person.read_at ? h("time", { "class": "small muted", datetime: person.read_at }, when(person.read_at)) : null
        ]));
      });
      (answer.unread || []).forEach(function (person) {
        unread.appendChild(h("li", { "data-person-id": person.person_id }, person.name));
      });
      if (!read.firstChild) { read.appendChild(h("li", { "class": "muted small" }, gettext("Nobody yet."))); }
      if (!unread.firstChild) { unread.appendChild(h("li", { "class": "muted small" }, gettext("Everyone has read it."))); }
    }).catch(function (error) { dialogError(box, error); });
  }

  function channelLabel(code) {
    var found = null;
    (S.dingChannels || []).forEach(function (channel) { if (channel.code === code) { found = channel.label; } });
    var fallback = { in_app: gettext("In the app"), email: gettext("Email"), sms: gettext("Text message (SMS)"),
                     phone: gettext("Phone call") };
    return found || fallback[code] || code;
  }
  function renderDingStatus(id) {
    var box = dialog("ding");
    var state = S.dings[id];
    var m = S.messages[id] || threadMessage(id);
    if (!state) { return; }
    box.querySelector("[data-ding-summary]").textContent =
      fmt(gettext("Confirmed by %(confirmed)s of %(total)s"), { confirmed: state.confirmed, total: state.total }) + " · " +
      fmt(gettext("reminders every %(minutes)s minutes, at most %(count)s, through: %(channels)s"),
          { minutes: state.interval_minutes, count: state.max_reminders,
            channels: (state.channels || []).map(channelLabel).join(", ") }) +
      (state.closed ? " · " + gettext("Closed") : "");
    var rows = box.querySelector("[data-ding-rows]");
    clear(rows);
    (state.recipients || []).forEach(function (r) {
      var attempts = (r.attempts || []).map(function (a) {
        return h("li", { "class": a.ok ? "" : "chat-attempt-failed" },
                 channelLabel(a.channel) + " · " + when(a.at) + " · " + (a.ok ? gettext("delivered") : gettext("failed")) +
                 (a.detail ? " (" + a.detail + ")" : ""));
      });
      rows.appendChild(h("tr", { "data-testid": "ding-status-row", "data-person-id": r.person_id,
                                 "data-confirmed": r.confirmed_at ? "1" : "0" }, [
        h("th", { scope: "row" }, r.name),
        h("td", {}, r.read ? gettext("Yes") : gettext("No")),
        h("td", {}, r.confirmed_at ? h("time", { datetime: r.confirmed_at }, when(r.confirmed_at)) : gettext("Not yet")),
        h("td", {}, String(r.reminders_sent || 0)),
        h("td", {}, r.next_reminder_at && !r.confirmed_at ? when(r.next_reminder_at) : "—"),
        h("td", {}, attempts.length ? h("ul", { "class": "chat-attempts" }, attempts) : "—")
      ]));
    });
    var mayRemind = m && (m.sender_id === ME || isManager()) && !state.closed &&
      (state.confirmed || 0) < (state.total || 0);
    show(box.querySelector("[data-action='ding-remind']"), Boolean(mayRemind));
  }
  function openDingStatus(id, opener) {
    S.dingDialogMid = id;
    var box = openDialog("ding", opener);
    clear(box.querySelector("[data-ding-rows]"));
    box.querySelector("[data-ding-summary]").textContent = gettext("Loading…");
    if (!S.dingChannels) {
      api("GET", "/ding/channels").then(function (channels) { S.dingChannels = channels || []; }).catch(function () {});
    }
    loadDing(id, true).then(function (state) {
      if (!state) { dialogError(box, gettext("The DING status could not be loaded.")); }
    });
  }
  dialog("ding").querySelector("[data-action='ding-remind']").addEventListener("click", function (event) {
    var id = S.dingDialogMid;
    var box = dialog("ding");
    var button = event.currentTarget;
    if (!id) { return; }
    button.disabled = true;
    api("POST", "/messages/" + id + "/ding/remind").then(function (answer) {
      var count = answer && typeof answer.reminded === "number" ? answer.reminded : 0;
      dialogDone(box, fmt(ngettext("%(count)s person reminded.", "%(count)s people reminded.", count), { count: count }));
      loadDing(id, true);
    }).catch(function (error) { dialogError(box, error); }).then(function () { button.disabled = false; });
  });

  // --- Actions -------------------------------------------------------------------------------------

  function setting(name) {
    if (!S.detail) { return; }
    var body = {};
    body[name] = !S.detail[name];
    var cid = S.cid;
    api("PUT", "/conversations/" + cid + "/settings", body).then(function (answer) {
      if (cid !== S.cid) { return; }
      S.detail.muted = answer.muted;
      S.detail.pinned = answer.pinned;
      $("[data-action='mute']").setAttribute("aria-pressed", answer.muted ? "true" : "false");
      $("[data-action='pin']").setAttribute("aria-pressed", answer.pinned ? "true" : "false");
      var row = rowOf(cid);
      if (row) { row.muted = answer.muted; row.pinned = answer.pinned; sortRows(); renderList(); }
    }).catch(function (error) { banner(problem(error)); });
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a.chat-row-link");
    if (link && root.contains(link) && !event.ctrlKey && !event.metaKey && !event.shiftKey && event.button === 0) {
      event.preventDefault();
      var id = Number(link.closest("[data-conversation-id]").getAttribute("data-conversation-id"));
      openConversation(id, true).then(function () {
        if (S.cid === id) { $("#chat-title").focus(); }
      });
      return;
    }
    var back = event.target.closest("[data-chat-back]");
    if (back) {
      event.preventDefault();
      window.history.pushState({ cid: null }, "", CHAT_URL);
      closeConversation();
      return;
    }
    var target = event.target.closest("[data-action]");
    if (!target) { return; }
    var action = target.getAttribute("data-action");
    var mid = Number(target.getAttribute("data-mid")) || null;
    var menu = target.closest("details.chat-msg-menu");
    if (menu && action !== undefined) { menu.removeAttribute("open"); }
    switch (action) {
    case "new-group": openGroupDialog("group", target); break;
    case "new-channel": openGroupDialog("channel", target); break;
    case "new-direct": directPicker.reset(); openDialog("direct", target); break;
    case "join-group":
      joinDialog.querySelector("[data-join-search]").value = "";
      openDialog("join", target);
      loadOpenGroups();
      break;
    case "join-one": join(Number(target.getAttribute("data-id"))); break;
    case "members": openMembers(target); break;
    case "members-add":
      var ids = addPicker.ids();
      if (!ids.length) { dialogError(membersDialog, gettext("Choose the people to add first.")); break; }
      api("POST", "/conversations/" + S.cid + "/members", { person_ids: ids }).then(function () {
        addPicker.reset();
        afterMemberChange(gettext("The people are added."));
      }).catch(function (error) { dialogError(membersDialog, error); });
      break;
    case "remove-member":
      if (!window.confirm(gettext("Remove this person from the conversation?"))) { break; }
      api("DELETE", "/conversations/" + S.cid + "/members/" + target.getAttribute("data-person-id"))
        .then(function () { afterMemberChange(gettext("The person is removed.")); })
        .catch(function (error) { dialogError(membersDialog, error); });
      break;
    case "leave":
      if (!window.confirm(gettext("Leave this conversation? You will no longer receive or read its messages."))) { break; }
      api("POST", "/conversations/" + S.cid + "/leave").then(function () {
        membersDialog.opener = null;
        closeDialog(membersDialog);
        window.history.pushState({ cid: null }, "", CHAT_URL);
        closeConversation();
        refetchList();
      }).catch(function (error) { dialogError(membersDialog, error); });
      break;
    case "bot-rotate":
      if (!window.confirm(gettext("Make a new token? Systems using the old one stop working until they get the new one."))) { break; }
      api("POST", "/bots/" + target.getAttribute("data-bot-id") + "/token").then(function (answer) {
        showSecret(answer);
        loadBots();
      }).catch(function (error) { dialogError(membersDialog, error); });
      break;
    case "bot-delete":
      if (!window.confirm(gettext("Delete this bot? Its hook address stops working."))) { break; }
      api("DELETE", "/bots/" + target.getAttribute("data-bot-id")).then(loadBots)
        .catch(function (error) { dialogError(membersDialog, error); });
      break;
    case "search":
      if (searchBox.hidden) { openSearch(); } else { closeSearch(); }
      break;
    case "close-search": closeSearch(); break;
    case "mute": setting("muted"); break;
    case "pin": setting("pinned"); break;
    case "older": loadOlder(); break;
    case "jump": scrollToBottom(); maybeMarkRead(); input.focus(); break;
    case "attach": fileInput.click(); break;
    case "remove-file":
      S.files = S.files.filter(function (f) { return f.key !== target.getAttribute("data-key"); });
      renderFiles();
      input.focus();
      break;
    case "ding": setDing(!S.dingOn); break;
    case "ding-all":
    case "ding-none":
      $("[data-ding-recipients]").querySelectorAll("input").forEach(function (check) { check.checked = action === "ding-all"; });
      break;
    case "cancel-reply": S.replyTo = null; renderReply(); input.focus(); break;
    case "reply":
      S.replyTo = S.messages[mid] || null;
      renderReply();
      input.focus();
      break;
    case "thread":
      var node = nodeOf(mid);
      openThread(mid, target.closest(".menu-panel") && node ? node.querySelector("summary") : target);
      break;
    case "close-thread": closeThread(); break;
    case "react": react(mid, target.getAttribute("data-emoji")); break;
    case "react-add": react(mid, target.getAttribute("data-emoji")); break;
    case "edit": startEdit(mid, target.closest("[data-message-id]")); break;
    case "recall": recall(mid); break;
    case "receipts": openReceipts(mid, target); break;
    case "ding-confirm": confirmDing(mid); break;
    case "ding-status": openDingStatus(mid, target); break;
    case "goto":
      var rootId = Number(target.getAttribute("data-root")) || null;
      var opener = target;
      reach(rootId || mid, 20).then(function (found) {
        if (!found) {
          say($("[data-chat-search-status]"), gettext("This message is no longer in the conversation."));
        } else if (rootId) {
          openThread(rootId, opener);
        }
      });
      break;
    default: break;
    }
  });
  root.addEventListener("toggle", function (event) {
    var details = event.target;
    if (details.classList && details.classList.contains("chat-msg-menu") && details.open) {
      fillMenu(details);
      var first = details.querySelector(".menu-panel button");
      if (first) { first.focus(); }
    }
  }, true);

  $("[data-chat-filter]").addEventListener("input", function (event) {
    S.filter = event.target.value;
    if (!S.rowsLoaded) { refetchList(); } else { renderList(); }
  });

  var scrollTimer = null;
  scroller.addEventListener("scroll", function () {
    S.stick = nearBottom();
    if (S.stick) { show($("[data-action='jump']"), false); }
    if (scroller.scrollTop < 150 && S.hasMore && !S.loadingOlder) { loadOlder(); }
    window.clearTimeout(scrollTimer);
    scrollTimer = window.setTimeout(maybeMarkRead, 200);
  });
  window.addEventListener("resize", function () { if (S.stick) { scrollToBottom(); } });
  window.addEventListener("popstate", function () {
    var match = /\/c\/(\d+)\/?$/.exec(window.location.pathname);
    if (match) { openConversation(Number(match[1]), false); } else { closeConversation(); }
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { maybeMarkRead(); } else { flushDraft(true); }
  });
  window.addEventListener("focus", maybeMarkRead);
  window.addEventListener("pagehide", function () { flushDraft(true); });

  // Presence of the other person in a direct conversation: coarse and pulled (kernel).
  window.setInterval(function () {
    if (!S.detail || S.detail.kind !== "direct" || document.visibilityState !== "visible") { return; }
    var other = otherMember();
    if (!other) { return; }
    api("GET", "/presence?ids=" + other.person_id).then(function (answer) {
      other.online = (answer.online || []).indexOf(other.person_id) >= 0;
      if (S.detail && S.detail.kind === "direct") { applyDetail(S.detail); }
    }).catch(function () { /* shown as before */ });
  }, 60000);

  // --- Start ------------------------------------------------------------------------------------

  renderFiles();
  var initial = Number(root.getAttribute("data-conversation-id")) || null;
  if (initial) {
    window.history.replaceState({ cid: initial }, "", window.location.href);
    openConversation(initial, false);
  }
  refetchList();
  connect();
})();
