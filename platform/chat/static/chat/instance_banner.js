// The "number disconnected" banner above the composer: shown while the open conversation's
// WhatsApp number is not connected, updated live ("instance" events, and the conversation in
// every catch-up after a reconnect) as chat.js announces them ("chat:live").
(function () {
    "use strict";
    const root = document.getElementById("chat-page");
    const banner = document.getElementById("chat-instance-banner");
    if (!root || !banner) { return; }
    root.addEventListener("chat:live", (event) => {
        const payload = event.detail;
        let number = null;
        if (payload.type === "instance") { number = payload; }
        if (payload.conversation && payload.conversation.id === root.dataset.conversation) { number = payload.conversation.instance; }
        if (!number || number.instance_id !== banner.dataset.instance) { return; }
        banner.hidden = number.connected;
    });
})();
