// The console's only script (served from /static, so the page's CSP can forbid inline scripts).
// - [data-refresh]: re-reads a server-rendered, escaped fragment every data-interval ms (the
//   transcript, the queue's and the list's rows, the "try it" conversation), unless the agent is
//   using a control inside it; a chat that was at its latest message stays there.
// - body[data-queue-status]: every page polls the conversations waiting for a person, shows their
//   number in the tab's title and the navigation, and on a new one rings (opt-in, "Sound") and
//   shows a desktop notification (opt-in, "Desktop notifications"). Choices stay in localStorage.
// - #reply-form: the composer sends without reloading (Ctrl/Cmd+Enter too), inserts canned replies
//   for editing, and shows a refusal (e.g. Messenger's window closed) as text.
// - #show-debug: slots, actions and policies of the transcript, hidden until asked; the choice sticks.
// - #try-form: the "try it" page sends the customer's message (or a pressed button's payload).
// - form[data-confirm]: asks before an irreversible action.
"use strict";
(function () {
  const stored = function (key) { try { return window.localStorage.getItem(key); } catch (e) { return null; } };
  const store = function (key, value) { try { window.localStorage.setItem(key, value); } catch (e) { /* private mode */ } };

  const shown = new WeakMap();  // the fragment each element shows, so an unchanged one is not redrawn

  async function refresh(element, force) {
    if (!force && element.contains(document.activeElement) && document.activeElement !== document.body) return;
    try {
      const response = await fetch(element.dataset.refresh, {credentials: "same-origin"});
      if (!response.ok) return;
      const html = await response.text();
      if (html === shown.get(element)) return;
      const atBottom = element.scrollTop + element.clientHeight >= element.scrollHeight - 30;
      element.innerHTML = html;
      shown.set(element, html);
      if (atBottom) element.scrollTop = element.scrollHeight;
    } catch (error) {
      // the next tick tries again
    }
  }

  document.querySelectorAll("[data-refresh]").forEach(function (element) {
    const every = parseInt(element.dataset.interval || "3000", 10);
    element.scrollTop = element.scrollHeight;
    setInterval(function () { refresh(element); }, every);
  });

  // --- the queue's count, sound and notifications, on every page ---
  const statusUrl = document.body.dataset.queueStatus;
  if (statusUrl) {
    const badge = document.getElementById("queue-count");
    const title = document.title;
    const latestKey = "console.latest-handoff";
    let latest = NaN;  // when the newest waiting conversation was handed over, as last seen
    try { latest = parseFloat(window.sessionStorage.getItem(latestKey) || "NaN"); } catch (e) { /* private mode */ }
    const ring = function () {
      try {
        const audio = new (window.AudioContext || window.webkitAudioContext)();
        const tone = audio.createOscillator();
        const volume = audio.createGain();
        tone.frequency.value = 880;
        volume.gain.value = 0.08;
        tone.connect(volume);
        volume.connect(audio.destination);
        tone.start();
        tone.stop(audio.currentTime + 0.25);
      } catch (error) { /* no audio here */ }
    };
    const announce = function (ids) {
      document.body.dataset.alerts = String(parseInt(document.body.dataset.alerts || "0", 10) + 1);
      if (stored("console.sound") === "1") ring();
      if (stored("console.notify") === "1" && "Notification" in window && Notification.permission === "granted") {
        const notice = new Notification("A customer is waiting for a person", {
          body: ids[0] || "", tag: "console-queue"});
        notice.onclick = function () { window.focus(); window.location.href = "/handoffs"; };
      }
    };
    const poll = async function () {
      try {
        const response = await fetch(statusUrl, {credentials: "same-origin"});
        if (!response.ok) return;
        const status = await response.json();
        document.title = (status.waiting ? "(" + status.waiting + ") " : "") + title;
        if (badge) { badge.textContent = String(status.waiting); badge.hidden = !status.waiting; }
        if (!isNaN(latest) && status.latest > latest) announce(status.ids.slice(0, 1));
        latest = status.latest;
        try { window.sessionStorage.setItem(latestKey, String(latest)); } catch (e) { /* private mode */ }
      } catch (error) {
        // the next tick tries again
      }
    };
    poll();
    setInterval(poll, 4000);

    const sound = document.getElementById("queue-sound");
    if (sound) {
      sound.checked = stored("console.sound") === "1";
      sound.addEventListener("change", function () { store("console.sound", sound.checked ? "1" : "0"); if (sound.checked) ring(); });
    }
    const notify = document.getElementById("queue-notify");
    if (notify) {
      const label = function () {
        notify.textContent = stored("console.notify") === "1" && "Notification" in window && Notification.permission === "granted"
          ? "Desktop notifications: on" : "Desktop notifications";
      };
      label();
      notify.addEventListener("click", async function () {
        if (!("Notification" in window)) { notify.textContent = "No notifications in this browser"; return; }
        if (stored("console.notify") === "1") { store("console.notify", "0"); label(); return; }
        const permission = await Notification.requestPermission();
        store("console.notify", permission === "granted" ? "1" : "0");
        label();
      });
    }
  }

  // --- the transcript's debug lines ---
  const transcript = document.getElementById("transcript");
  const debug = document.getElementById("show-debug");
  if (transcript && debug) {
    debug.checked = stored("console.debug") === "1";
    transcript.classList.toggle("hide-debug", !debug.checked);
    debug.addEventListener("change", function () {
      store("console.debug", debug.checked ? "1" : "0");
      transcript.classList.toggle("hide-debug", !debug.checked);
    });
  }

  // --- the composer ---
  const composer = document.getElementById("reply-form");
  if (composer) {
    const box = composer.elements.text;
    const problem = document.getElementById("reply-error");
    const canned = document.getElementById("canned-select");
    box.focus();
    composer.addEventListener("submit", async function (event) {
      event.preventDefault();
      const message = box.value.trim();
      if (!message) return;
      composer.classList.add("busy");
      problem.hidden = true;
      try {
        const response = await fetch(composer.action, {
          method: "POST",
          credentials: "same-origin",
          headers: {"X-CSRF-Token": composer.elements.csrf_token.value},
          body: new URLSearchParams({id: composer.elements.id.value, text: message}),
        });
        if (response.ok) {
          box.value = "";
          if (transcript) { await refresh(transcript, true); transcript.scrollTop = transcript.scrollHeight; }
        } else {
          problem.textContent = await response.text();
          problem.hidden = false;
        }
      } catch (error) {
        problem.textContent = "The console cannot be reached: your reply was not sent.";
        problem.hidden = false;
      } finally {
        composer.classList.remove("busy");
        box.focus();
      }
    });
    box.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        composer.requestSubmit();
      }
    });
    if (canned) {
      canned.addEventListener("change", function () {
        const option = canned.selectedOptions[0];
        if (option && option.dataset.text) {
          const start = box.selectionStart, end = box.selectionEnd;
          box.value = box.value.slice(0, start) + option.dataset.text + box.value.slice(end);
          box.focus();
          box.selectionStart = box.selectionEnd = start + option.dataset.text.length;
        }
        canned.value = "";
      });
    }
  }

  // --- the "try it" page ---
  const form = document.getElementById("try-form");
  if (form) {
    const log = document.getElementById("try-log");
    const problem = document.getElementById("try-error");
    const token = form.elements.csrf_token.value;
    const send = async function (text) {
      form.classList.add("busy");
      problem.hidden = true;
      try {
        const response = await fetch(form.action, {
          method: "POST",
          credentials: "same-origin",
          headers: {"X-CSRF-Token": token},
          body: new URLSearchParams({message: text}),
        });
        if (!response.ok) {
          problem.textContent = await response.text();
          problem.hidden = false;
        }
      } catch (error) {
        problem.textContent = "The console cannot be reached.";
        problem.hidden = false;
      } finally {
        form.classList.remove("busy");
        await refresh(log, true);
        log.scrollTop = log.scrollHeight;
      }
    };
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      const input = form.elements.message;
      const text = input.value.trim();
      if (!text) return;
      input.value = "";
      send(text);
    });
    log.addEventListener("click", function (event) {
      const button = event.target.closest("button[data-payload]");
      if (button) send(button.dataset.payload);
    });
  }

  document.querySelectorAll("form[data-confirm]").forEach(function (confirmed) {
    confirmed.addEventListener("submit", function (event) {
      if (!window.confirm(confirmed.dataset.confirm)) event.preventDefault();
    });
  });
})();
