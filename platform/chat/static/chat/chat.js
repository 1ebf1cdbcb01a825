// The agents' chat page (/chat/): history, composer, live updates. No library, no build step.
// Live events come over ws/chat/ (chat/sockets.py); after a reconnect, and by polling while
// the socket is down, the page catches up with ?after=<cursor>. Every message is drawn by id,
// so one that arrives twice (socket and catch-up) is updated in place, never shown twice.
(function () {
    "use strict";
    const root = document.getElementById("chat-page");
    if (!root) { return; }
    const data = root.dataset;
    const text = (name) => data["text" + name] || "";
    const openId = data.conversation || null;
    const list = document.getElementById("chat-list");
    const history = document.getElementById("chat-history");
    const messagesBox = document.getElementById("chat-messages");
    const olderButton = document.getElementById("chat-older");
    const errorBox = document.getElementById("chat-error");
    const offline = document.getElementById("chat-offline");
    const drawn = new Map();  // message id -> {node, timestamp}
    let cursor = null;
    let oldestId = null;

    function element(tag, className, content) {
        const node = document.createElement(tag);
        if (className) { node.className = className; }
        if (content !== undefined) { node.textContent = content; }
        return node;
    }
    async function call(url, options) {
        const answer = await fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json", "X-CSRFToken": data.csrf}, ...options});
        let body = {};
        try { body = await answer.json(); } catch (notJson) { body = {}; }
        if (!answer.ok) { throw new Error(body.error || answer.statusText); }
        return body;
    }
    function post(url, fields) {
        // Form-encoded: an empty multipart body is a 400 for Django's parser.
        return call(url, {method: "POST", body: new URLSearchParams(fields || {})});
    }
    function showError(message) {
        if (!errorBox) { return; }
        errorBox.textContent = message || "";
        errorBox.hidden = !message;
    }

    // --- Messages ------------------------------------------------------------------------
    const TICKS = {pending: "🕓", sending: "🕓", sent: "✓", delivered: "✓✓", read: "✓✓", played: "✓✓", failed: "⚠"};

    function media(message) {
        const file = message.attachment;
        if (!file) { return null; }
        if (file.status === "pending") { return element("div", "chat-muted text-sm", text("MediaPending")); }
        if (file.status === "failed" || !file.url) { return element("div", "chat-muted text-sm", text("MediaFailed")); }
        const kind = message.type;
        if (kind === "image" || kind === "sticker") {
            const link = element("a"); link.href = file.url; link.target = "_blank"; link.rel = "noopener";
            const image = element("img", "chat-image"); image.src = file.preview || file.url; image.alt = file.file_name || "";
            image.loading = "lazy"; link.append(image); return link;
        }
        if (kind === "audio") { const audio = element("audio"); audio.controls = true; audio.preload = "metadata"; audio.src = file.url; return audio; }
        if (kind === "video") { const video = element("video", "chat-image"); video.controls = true; video.preload = "metadata"; video.src = file.url; return video; }
        const link = element("a", "chat-document", "📄 " + (file.file_name || file.mimetype));
        link.href = file.url; link.target = "_blank"; link.rel = "noopener";
        return link;
    }
    function render(message) {
        const note = message.type === "note";
        const item = element("li", "chat-message " + (note ? "chat-note" : (message.direction === "in" ? "chat-in" : "chat-out")));
        item.dataset.id = message.id;
        item.dataset.status = message.status;
        item.dataset.testid = "message";
        if (note) { item.append(element("div", "chat-note-label text-xs", text("Note"))); }
        if (message.sender) { item.append(element("div", "chat-sender text-xs", message.sender)); }
        if (message.quoted) {
            const quote = element("div", "chat-quote text-sm", message.quoted.text);
            quote.dataset.quoted = message.quoted.id;
            item.append(quote);
        }
        if (message.deleted) { item.append(element("div", "chat-muted text-sm", text("Deleted"))); }
        const file = media(message);
        if (file) { item.append(file); }
        const words = message.type === "text" || note ? message.body : (message.caption || (file ? "" : message.body));
        if (words) { item.append(element("div", "chat-text", words)); }
        if (message.location) {
            const place = element("a", "chat-document", "📍 " + text("Map"));
            place.href = "https://www.openstreetmap.org/?mlat=" + encodeURIComponent(message.location.latitude) + "&mlon=" + encodeURIComponent(message.location.longitude);
            place.target = "_blank"; place.rel = "noopener";
            item.append(place);
        }
        if (message.reactions.length) {
            item.append(element("div", "chat-reactions", message.reactions.map((r) => r.emoji).join(" ")));
        }
        const meta = element("div", "chat-meta text-xs");
        meta.append(element("time", "", new Date(message.timestamp).toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"})));
        if (message.direction === "out" && !note) {
            const tick = element("span", "chat-tick chat-tick-" + message.status, TICKS[message.status] || "");
            tick.title = message.status_label; tick.dataset.role = "tick";
            meta.append(tick);
        }
        if (!note && message.type !== "reaction") {
            const reply = element("button", "chat-link", text("Reply"));
            reply.type = "button";
            reply.addEventListener("click", () => replyTo(message));
            meta.append(reply);
        }
        if (window.alreaChat && window.alreaChat.decorate) { window.alreaChat.decorate(message, meta); }  // composer.js
        item.append(meta);
        if (message.status === "failed" && message.error) { item.append(element("div", "chat-failure text-xs", message.error)); }
        if (message.can_retry) {
            const again = element("button", "chat-button", text("SendAgain"));
            again.type = "button";
            again.addEventListener("click", () => post(data.retryUrl.replace("00000000-0000-0000-0000-000000000000", message.id)).catch((e) => showError(e.message)));
            item.append(again);
        }
        return item;
    }
    function atBottom() { return history.scrollHeight - history.scrollTop - history.clientHeight < 80; }
    function upsert(message) {
        if (message.conversation_id !== openId) { return; }
        const known = drawn.get(message.id);
        const node = render(message);
        if (known) {
            known.node.replaceWith(node);
            if (window.alreaChat.redrawn) { window.alreaChat.redrawn(message, known.node, node); }  // composer.js
            known.node = node;
            return;
        }
        const stick = atBottom();
        // In time order: walk back from the newest until an older message.
        let after = null;
        for (const child of Array.from(messagesBox.children).reverse()) {
            if (drawn.get(child.dataset.id).timestamp <= message.timestamp) { after = child; break; }
        }
        if (after) { after.after(node); } else { messagesBox.prepend(node); }
        drawn.set(message.id, {node: node, timestamp: message.timestamp});
        if (stick || message.direction === "out") { history.scrollTop = history.scrollHeight; }
        if (message.direction === "in") { markRead(); }
    }
    async function loadNewest() {
        const page = await call(data.messagesUrl);
        cursor = page.cursor;
        page.messages.forEach(upsert);
        oldestId = page.messages.length ? page.messages[0].id : null;
        olderButton.hidden = !page.has_more;
        history.scrollTop = history.scrollHeight;
    }
    async function loadOlder() {
        if (!oldestId) { return; }
        const height = history.scrollHeight;
        const page = await call(data.messagesUrl + "?before=" + encodeURIComponent(oldestId));
        for (const message of page.messages.slice().reverse()) {
            if (drawn.has(message.id)) { continue; }
            const node = render(message);
            messagesBox.prepend(node);
            drawn.set(message.id, {node: node, timestamp: message.timestamp});
        }
        if (page.messages.length) { oldestId = page.messages[0].id; }
        olderButton.hidden = !page.has_more;
        history.scrollTop = history.scrollHeight - height;  // stay on what was read
    }
    async function catchUp() {
        if (!openId || !cursor) { return; }
        const page = await call(data.messagesUrl + "?after=" + encodeURIComponent(cursor));
        cursor = page.cursor;
        page.messages.forEach(upsert);
        updateHeader(page.conversation);
        announce({type: "conversation", conversation: page.conversation});
    }
    let readTimer = null;
    function markRead() {
        if (!data.readUrl || document.hidden) { return; }
        clearTimeout(readTimer);
        readTimer = setTimeout(() => post(data.readUrl).catch(() => {}), 300);
    }
    document.addEventListener("visibilitychange", () => { if (!document.hidden) { markRead(); } });

    // --- Header, actions, composer -------------------------------------------------------
    function updateHeader(conversation) {
        if (!conversation || conversation.id !== openId) { return; }
        const header = root.querySelector(".chat-header");
        const state = conversation.status + ":" + conversation.department_id + ":" + conversation.agent_id;
        if (header.dataset.state === state) { return; }
        // Claimed, transferred or closed elsewhere: the buttons the user has now come with
        // the page, so its header is fetched again.
        fetch(window.location.href, {credentials: "same-origin"}).then((answer) => answer.ok ? answer.text() : null).then((html) => {
            const fresh = html && new DOMParser().parseFromString(html, "text/html").querySelector(".chat-header");
            if (fresh) { header.replaceWith(fresh); bindActions(fresh); }
        }).catch(() => {});
    }
    function act(url, fields) {
        showError("");
        post(url, fields).then((answer) => {
            if (!answer.visible) { window.location.href = data.pageUrl; } else { window.location.reload(); }
        }).catch((failure) => showError(failure.message));
    }
    function bindActions(scope) {
        scope.querySelectorAll("button[data-action]").forEach((button) => button.addEventListener("click", () => act(button.dataset.action)));
        scope.querySelectorAll("form[data-action]").forEach((form) => form.addEventListener("submit", (event) => {
            event.preventDefault();
            act(form.dataset.action, Object.fromEntries(new FormData(form)));
        }));
    }
    bindActions(root);
    const composer = document.getElementById("chat-composer");
    const replying = document.getElementById("chat-replying");
    function replyTo(message) {
        composer.elements.quoted.value = message ? message.id : "";
        replying.hidden = !message;
        if (message) {
            replying.querySelector('[data-role="text"]').textContent = message.body || message.caption || message.type;
            composer.elements.body.focus();
        }
    }
    if (composer) {
        replying.querySelector('[data-role="cancel"]').addEventListener("click", () => replyTo(null));
        composer.addEventListener("submit", async (event) => {
            event.preventDefault();
            showError("");
            const fields = {body: composer.elements.body.value, quoted: composer.elements.quoted.value};
            if (composer.elements.note.checked) { fields.note = "1"; }
            if (composer.elements.sign && composer.elements.sign.checked) { fields.sign = "1"; }
            try {
                const answer = await post(data.sendUrl, fields);
                upsert(answer.message);
                composer.elements.body.value = "";
                composer.elements.note.checked = false;
                replyTo(null);
            } catch (failure) { showError(failure.message); }
        });
        composer.elements.body.addEventListener("keydown", (event) => {
            if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); composer.requestSubmit(); }
        });
        olderButton.addEventListener("click", () => loadOlder().catch((e) => showError(e.message)));
    }

    // --- The list ------------------------------------------------------------------------
    let listTimer = null;
    function refreshList() {
        clearTimeout(listTimer);
        listTimer = setTimeout(async () => {
            const query = new URLSearchParams(window.location.search);
            query.set("tab", data.tab);
            try {
                const answer = await fetch(data.listUrl + "?" + query.toString(), {credentials: "same-origin"});
                if (answer.ok) {
                    list.innerHTML = await answer.text();
                    if (openId) {
                        const active = list.querySelector('[data-conversation="' + openId + '"]');
                        if (active) { active.classList.add("chat-conversation-active"); }
                    }
                }
            } catch (offlineNow) { /* the next event or poll tries again */ }
        }, 250);
    }

    function updateRow(conversation) {
        const link = list.querySelector('a[data-conversation="' + conversation.id + '"]');
        if (!link) { return false; }
        link.querySelector('[data-role="preview"]').textContent = conversation.preview;
        let badge = link.querySelector('[data-role="unread"]');
        if (conversation.unread && conversation.id !== openId) {
            if (!badge) {
                badge = element("span", "chat-badge");
                badge.dataset.role = "unread";
                link.querySelector(".chat-conversation-bottom").append(badge);
            }
            badge.textContent = String(conversation.unread);
        } else if (badge) { badge.remove(); }
        const row = link.closest("li");
        row.parentElement.prepend(row);  // the newest first
        return true;
    }

    // --- Live ----------------------------------------------------------------------------
    // Every live event is also announced on the page's root as "chat:live", for the small
    // modules beside this one (presence.js, instance_banner.js).
    function announce(payload) { root.dispatchEvent(new CustomEvent("chat:live", {detail: payload})); }
    let socket = null;
    let delay = 1000;
    let pollTimer = null;
    function poll() {
        if (pollTimer !== null) { return; }  // already on its way: reconnect attempts keep its pace
        pollTimer = setTimeout(async () => {
            pollTimer = null;
            try { await catchUp(); refreshList(); } catch (failure) { /* offline */ }
            if (!socket || socket.readyState !== WebSocket.OPEN) { poll(); }
        }, 5000);
    }
    function stopPolling() {
        clearTimeout(pollTimer);
        pollTimer = null;
    }
    function connect() {
        const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
        socket = new WebSocket(scheme + window.location.host + data.socket);
        socket.addEventListener("message", (event) => {
            const payload = JSON.parse(event.data);
            if (payload.type === "ready") {
                delay = 1000;
                offline.hidden = true;
                stopPolling();
                catchUp().catch(() => {});  // what happened while we were away
                return;
            }
            announce(payload);
            if (payload.type === "presence" || payload.type === "instance") { return; }  // theirs
            if (payload.type === "message") { upsert(payload.message); }
            if (payload.conversation) { updateHeader(payload.conversation); }
            // A new message only moves its row; a change of hands or state may move it to
            // another tab, so the list is fetched again.
            if (payload.type !== "message" || !updateRow(payload.conversation)) { refreshList(); }
        });
        socket.addEventListener("close", (event) => {
            if (event.code === 4403) { return; }  // not allowed: retrying will not help
            offline.hidden = false;
            poll();
            setTimeout(connect, delay);
            delay = Math.min(delay * 2, 30000);
        });
    }

    // For composer.js (files, quick replies, reactions): the same drawing and error box.
    window.alreaChat = {upsert: upsert, showError: showError, call: call, post: post, replyTo: replyTo};

    if (openId) {
        loadNewest().then(markRead).catch((failure) => showError(failure.message));
    }
    connect();
})();
