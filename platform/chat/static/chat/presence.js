// "typing…" / "recording audio…" under the open conversation's header, from the customer's
// presence events (chat/presence.py) that chat.js announces as "chat:live". Never stored: it
// goes on "paused", on the customer's next message, or after a few seconds without news.
(function () {
    "use strict";
    const root = document.getElementById("chat-page");
    const line = document.getElementById("chat-presence");
    if (!root || !line) { return; }
    const SHOWN_FOR = 8000;  // WhatsApp repeats "composing" while the customer types
    let timer = null;
    function clear() { clearTimeout(timer); line.hidden = true; line.textContent = ""; }
    root.addEventListener("chat:live", (event) => {
        const payload = event.detail;
        if (payload.type === "message" && payload.message.conversation_id === root.dataset.conversation
            && payload.message.direction === "in") { clear(); return; }
        if (payload.type !== "presence" || payload.conversation_id !== root.dataset.conversation) { return; }
        const text = line.dataset[payload.state];  // data-typing, data-recording
        if (!text) { clear(); return; }
        line.textContent = text;
        line.hidden = false;
        clearTimeout(timer);
        timer = setTimeout(clear, SHOWN_FOR);
    });
})();
