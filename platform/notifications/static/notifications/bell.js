// The notification bell: unread count, the latest in a dropdown, a toast for each new one.
// Pushed over ws/notifications/ (notifications/sockets.py); while the socket is down, the
// summary endpoint is polled instead. Any page that includes notifications/bell.html gets it
// (the admin header, the chat page). No library, no build step.
(function () {
    const bell = document.getElementById("notification-bell");
    if (!bell) { return; }
    const toasts = document.getElementById("notification-toasts");
    const part = (role) => bell.querySelector('[data-role="' + role + '"]');
    const seen = new Set();  // ids already on this page: no second toast for them
    let first = true;        // the first summary only fills the list: nothing is "new" yet
    let latest = [];

    function element(tag, className, text) {
        const node = document.createElement(tag);
        if (className) { node.className = className; }
        if (text !== undefined) { node.textContent = text; }
        return node;
    }
    function drawCount(unread) {
        const count = part("count");
        count.textContent = unread > 99 ? "99+" : String(unread);
        count.style.display = unread ? "" : "none";
    }
    function drawList() {
        const list = part("list");
        list.replaceChildren();
        for (const item of latest) {
            const line = element("li", "px-3 py-2 border-b border-base-100 dark:border-base-800");
            const target = element(item.url ? "a" : "div", "block");
            if (item.url) { target.href = item.url; }
            const title = element("div", item.read ? "" : "font-semibold", item.title);
            target.append(title);
            if (item.body) { target.append(element("div", "text-xs opacity-75", item.body)); }
            target.append(element("div", "text-xs opacity-60", new Date(item.created_at).toLocaleString()));
            line.append(target);
            list.append(line);
        }
        if (!latest.length) { list.append(element("li", "px-3 py-2 opacity-75", bell.dataset.empty)); }
    }
    function toast(item) {
        const box = element(item.url ? "a" : "div",
            "block rounded border border-base-200 bg-white p-3 shadow-lg dark:bg-base-900 dark:border-base-700");
        if (item.url) { box.href = item.url; }
        box.append(element("div", "font-semibold", item.title));
        if (item.body) { box.append(element("div", "text-sm opacity-75", item.body)); }
        toasts.append(box);
        setTimeout(() => box.remove(), 8000);
    }
    function summary(data) {
        // A summary (on connect or from a poll) also catches up on what arrived meanwhile.
        for (const item of data.latest.slice().reverse()) {
            if (!seen.has(item.id)) {
                seen.add(item.id);
                if (!first && !item.read) { toast(item); }
            }
        }
        first = false;
        latest = data.latest;
        drawCount(data.unread);
        drawList();
    }
    function created(item, unread) {
        if (!seen.has(item.id)) {
            seen.add(item.id);
            toast(item);
            latest = [item, ...latest].slice(0, 8);
            drawList();
        }
        drawCount(unread);
    }

    let pushed = false;  // the socket is open: no polling meanwhile
    let pollTimer = null;
    async function poll() {
        try {
            const answer = await fetch(bell.dataset.summary, {headers: {"Accept": "application/json"}, credentials: "same-origin"});
            if (answer.ok) { summary(await answer.json()); }
        } catch (failure) { /* offline: the next poll tries again */ }
        if (!pushed) { pollTimer = setTimeout(poll, 30000); }
    }
    let retryIn = 1000;
    function listen() {
        if (!("WebSocket" in window)) { return; }
        const scheme = location.protocol === "https:" ? "wss://" : "ws://";
        const socket = new WebSocket(scheme + location.host + bell.dataset.socket);
        socket.onmessage = (message) => {
            if (!pushed) { pushed = true; clearTimeout(pollTimer); retryIn = 1000; }
            const data = JSON.parse(message.data);
            if (data.type === "summary") { summary(data); }
            else if (data.type === "created") { created(data.notification, data.unread); }
            else if (data.type === "read") { drawCount(data.unread); }
        };
        socket.onclose = (closed) => {
            if (pushed) { pushed = false; pollTimer = setTimeout(poll, 5000); }
            if (closed.code === 4403) { return; }  // signed out: polling says the same
            setTimeout(listen, retryIn);
            retryIn = Math.min(retryIn * 2, 60000);
        };
    }

    part("toggle").addEventListener("click", () => {
        const panel = part("panel");
        panel.hidden = !panel.hidden;
        part("toggle").setAttribute("aria-expanded", String(!panel.hidden));
        if (!panel.hidden && !pushed) { poll(); }
    });
    document.addEventListener("click", (event) => {
        if (!bell.contains(event.target)) { part("panel").hidden = true; }
    });
    part("read-all").addEventListener("click", async () => {
        const form = new FormData();
        form.append("all", "1");
        const answer = await fetch(bell.dataset.read, {
            method: "POST", body: form, credentials: "same-origin",
            headers: {"X-CSRFToken": bell.dataset.csrf, "Accept": "application/json"},
        });
        if (answer.ok) {
            drawCount((await answer.json()).unread);
            latest = latest.map((item) => ({...item, read: true}));
            drawList();
        }
    });

    poll();
    listen();
})();
