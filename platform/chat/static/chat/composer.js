// The chat page's composer extras: files (pick, drop or paste; the text becomes the caption),
// quick replies ("/" opens the company's saved answers, filled for the contact), reactions to
// a customer's message and the agent's signature.
// chat.js owns the page (drawing, socket, text sending) and lends its helpers as
// window.alreaChat; this module only adds to the composer. No library, no build step.
(function () {
    "use strict";
    const form = document.getElementById("chat-composer");
    const chat = window.alreaChat;
    if (!form || !chat) { return; }
    const data = form.dataset;
    const body = form.elements.body;
    const placeholder = body.placeholder;

    // --- Files ---------------------------------------------------------------------------
    const picker = document.getElementById("chat-file");
    const chip = document.getElementById("chat-attachment");
    const thumb = chip.querySelector('[data-role="thumb"]');
    let chosen = null;

    function sizeLabel(bytes) {
        if (bytes < 1024 * 1024) { return Math.max(1, Math.round(bytes / 1024)) + " KB"; }
        return (bytes / 1024 / 1024).toFixed(1) + " MB";
    }
    function choose(file) {
        chat.showError("");
        if (file && file.size > Number(data.maxUpload)) {
            chat.showError(data.textTooLarge);
            file = null;
        }
        chosen = file || null;
        chip.hidden = !chosen;
        body.required = !chosen;  // a file may go without a caption
        body.placeholder = chosen ? data.textCaption : placeholder;
        if (thumb.src) { URL.revokeObjectURL(thumb.src); thumb.removeAttribute("src"); }
        thumb.hidden = true;
        if (!chosen) { picker.value = ""; return; }
        chip.querySelector('[data-role="name"]').textContent = chosen.name + " (" + sizeLabel(chosen.size) + ")";
        if (chosen.type.startsWith("image/")) { thumb.src = URL.createObjectURL(chosen); thumb.hidden = false; }
        body.focus();
    }
    document.getElementById("chat-attach").addEventListener("click", () => picker.click());
    picker.addEventListener("change", () => choose(picker.files[0]));
    chip.querySelector('[data-role="remove"]').addEventListener("click", () => choose(null));
    form.addEventListener("dragover", (event) => { event.preventDefault(); form.classList.add("chat-dropping"); });
    form.addEventListener("dragleave", () => form.classList.remove("chat-dropping"));
    form.addEventListener("drop", (event) => {
        event.preventDefault();
        form.classList.remove("chat-dropping");
        if (event.dataTransfer.files.length) { choose(event.dataTransfer.files[0]); }
    });
    body.addEventListener("paste", (event) => {
        const files = event.clipboardData ? event.clipboardData.files : [];
        if (files.length) { event.preventDefault(); choose(files[0]); }
    });

    let uploading = false;  // Enter pressed twice must not send the file twice
    async function sendFile() {
        if (form.elements.note.checked) { chat.showError(data.textNoteFile); return; }
        if (uploading) { return; }
        uploading = true;
        const fields = new FormData();
        fields.append("file", chosen, chosen.name);
        fields.append("caption", body.value.trim());
        fields.append("quoted", form.elements.quoted.value);
        if (form.elements.sign.checked) { fields.append("sign", "1"); }
        try {
            const answer = await chat.call(data.uploadUrl, {method: "POST", body: fields});
            chat.upsert(answer.message);
            body.value = "";
            choose(null);
            chat.replyTo(null);
        } catch (failure) {
            chat.showError(failure.message);
        } finally { uploading = false; }
    }
    // Capture on the document: runs before chat.js's own submit listener on the form, which
    // sends texts; with a file chosen the file (and its caption) goes instead.
    document.addEventListener("submit", (event) => {
        if (event.target !== form || !chosen) { return; }
        event.preventDefault();
        event.stopImmediatePropagation();
        chat.showError("");
        sendFile();
    }, true);

    // --- Quick replies: "/" then the shortcut, at the start or after a space -----------------
    const popup = document.getElementById("chat-quick-replies");
    let replies = null;  // already filled for this contact
    let shown = [];
    let active = 0;
    let slash = null;  // {start, end} of "/query" in the text

    function typedQuery() {
        const before = body.value.slice(0, body.selectionStart);
        const found = /(^|\s)\/([^\s/]*)$/.exec(before);
        if (!found) { return null; }
        const start = before.length - found[2].length - 1;
        return {start: start, end: body.selectionStart, query: found[2].toLowerCase()};
    }
    function closeReplies() {
        popup.hidden = true;
        popup.replaceChildren();
        body.removeAttribute("aria-activedescendant");
        slash = null;
    }
    function highlight(index) {
        active = index;
        popup.querySelectorAll("li[role=option]").forEach((item, i) => {
            item.setAttribute("aria-selected", String(i === index));
            if (i === index) { item.scrollIntoView({block: "nearest"}); body.setAttribute("aria-activedescendant", item.id); }
        });
    }
    function drawReplies(query) {
        shown = replies.filter((r) => r.shortcut.toLowerCase().includes(query) || r.text.toLowerCase().includes(query));
        shown.sort((a, b) => Number(!a.shortcut.toLowerCase().startsWith(query)) - Number(!b.shortcut.toLowerCase().startsWith(query)));
        popup.replaceChildren();
        if (!shown.length) {
            const none = document.createElement("li");
            none.className = "chat-muted";
            none.textContent = data.textNoQuickReply;
            popup.append(none);
        }
        shown.forEach((reply, index) => {
            const item = document.createElement("li");
            item.id = "chat-quick-reply-" + index;
            item.setAttribute("role", "option");
            const name = document.createElement("strong");
            name.textContent = "/" + reply.shortcut;
            const words = document.createElement("span");
            words.textContent = reply.text;
            item.append(name, " ", words);
            // mousedown, not click: the textarea keeps its focus and caret.
            item.addEventListener("mousedown", (event) => { event.preventDefault(); insert(reply); });
            popup.append(item);
        });
        popup.hidden = false;
        highlight(0);
    }
    function insert(reply) {
        const place = slash || typedQuery();
        if (!place) { return; }
        body.value = body.value.slice(0, place.start) + reply.text + body.value.slice(place.end);
        const caret = place.start + reply.text.length;
        body.setSelectionRange(caret, caret);
        closeReplies();
        body.focus();
    }
    let loading = null;  // one request at a time; a failure keeps the last list
    function fetchReplies() {
        loading = loading || chat.call(data.quickRepliesUrl)
            .then((answer) => { replies = answer.replies; })
            .catch((failure) => { replies = replies || []; chat.showError(failure.message); })
            .finally(() => { loading = null; });
        return loading;
    }
    async function offerReplies() {
        const place = typedQuery();
        if (!place) { closeReplies(); return; }
        // A new "/": fetch again, so a reply a manager saved since the page opened is there.
        if (replies === null || (popup.hidden && slash === null)) { await fetchReplies(); }
        slash = typedQuery();
        if (slash) { drawReplies(slash.query); } else { closeReplies(); }
    }
    body.setAttribute("aria-controls", popup.id);
    body.addEventListener("input", offerReplies);
    body.addEventListener("blur", () => setTimeout(closeReplies, 150));
    // Capture: runs before chat.js's Enter-sends on the textarea while the list is open.
    document.addEventListener("keydown", (event) => {
        if (event.target !== body || popup.hidden) { return; }
        const keys = {ArrowDown: 1, ArrowUp: -1};
        if (event.key in keys && shown.length) {
            highlight((active + keys[event.key] + shown.length) % shown.length);
        } else if ((event.key === "Enter" || event.key === "Tab") && shown.length && !event.isComposing) {
            insert(shown[active]);
        } else if (event.key === "Escape" || event.key === "Enter") {
            closeReplies();
        } else { return; }
        event.preventDefault();
        event.stopImmediatePropagation();
    }, true);

    // --- Reactions: ours on a customer's message, through WhatsApp --------------------------
    const EMOJI = ["👍", "❤️", "😂", "😮", "😢", "🙏"];
    let palette = null;
    function closePalette() { if (palette) { palette.remove(); palette = null; } }
    async function react(message, emoji) {
        closePalette();
        chat.showError("");
        try {
            const answer = await chat.post(data.reactUrl.replace("00000000-0000-0000-0000-000000000000", message.id), {emoji: emoji});
            chat.upsert(answer.message);
        } catch (failure) { chat.showError(failure.message); }
    }
    function openPalette(message, button) {
        closePalette();
        palette = document.createElement("div");
        palette.className = "chat-palette border border-base-200 dark:border-base-700 bg-white dark:bg-base-900";
        palette.setAttribute("role", "menu");
        palette.dataset.testid = "reactions";
        const mine = message.reactions.find((r) => r.direction === "out");
        for (const emoji of EMOJI) {
            const choice = document.createElement("button");
            choice.type = "button";
            choice.textContent = emoji;
            choice.setAttribute("role", "menuitem");
            choice.setAttribute("aria-pressed", String(Boolean(mine && mine.emoji === emoji)));
            // The one we already gave takes it back, as on WhatsApp.
            choice.addEventListener("click", () => react(message, mine && mine.emoji === emoji ? "" : emoji));
            palette.append(choice);
        }
        if (mine) {
            const remove = document.createElement("button");
            remove.type = "button";
            remove.className = "chat-link text-xs";
            remove.textContent = data.textUnreact;
            remove.addEventListener("click", () => react(message, ""));
            palette.append(remove);
        }
        button.after(palette);
        palette.querySelector("button").focus();
        palette.addEventListener("keydown", (event) => { if (event.key === "Escape") { closePalette(); button.focus(); } });
    }
    document.addEventListener("click", (event) => {
        if (palette && !palette.contains(event.target) && !event.target.closest(".chat-react")) { closePalette(); }
    });
    // A live update redraws the message: a menu open on it stays open, with its new state.
    chat.redrawn = (message, before, after) => {
        if (!palette || !before.contains(palette)) { return; }
        const button = after.querySelector(".chat-react");
        if (button) { openPalette(message, button); } else { closePalette(); }
    };
    chat.decorate = (message, meta) => {
        if (message.direction !== "in" || message.type === "reaction" || message.type === "note" || message.deleted) { return; }
        const button = document.createElement("button");
        button.type = "button";
        button.className = "chat-link chat-react";
        button.textContent = "☺";
        button.title = data.textReact;
        button.setAttribute("aria-label", data.textReact);
        button.addEventListener("click", () => openPalette(message, button));
        meta.append(button);
        const mine = message.reactions.find((r) => r.direction === "out");
        if (mine && mine.status === "failed") {
            const failed = document.createElement("span");
            failed.className = "chat-tick-failed";
            failed.textContent = "⚠ " + mine.emoji;
            failed.title = data.textReactionFailed;
            meta.append(failed);
        }
    };

    // --- Signature: the agent's own, edited here (the "Sign" box applies it on the server) ---
    const signature = document.getElementById("chat-signature");
    const signatureForm = signature.querySelector("form");
    signatureForm.addEventListener("submit", async (event) => {
        event.preventDefault();
        chat.showError("");
        try {
            const saved = await chat.post(signatureForm.dataset.url, Object.fromEntries(new FormData(signatureForm)));
            signature.querySelector('[data-role="shown"]').textContent = saved.shown;
            signature.open = false;
        } catch (failure) { chat.showError(failure.message); }
    });
})();
