// The chat page's composer extras: files (pick, drop or paste; the text becomes the caption).
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

    async function sendFile() {
        if (form.elements.note.checked) { chat.showError(data.textNoteFile); return; }
        const fields = new FormData();
        fields.append("file", chosen, chosen.name);
        fields.append("caption", body.value.trim());
        fields.append("quoted", form.elements.quoted.value);
        try {
            const answer = await chat.call(data.uploadUrl, {method: "POST", body: fields});
            chat.upsert(answer.message);
            body.value = "";
            choose(null);
            chat.replyTo(null);
        } catch (failure) { chat.showError(failure.message); }
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
})();
