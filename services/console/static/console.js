// The console's only script (served from /static, so the page's CSP can forbid inline scripts).
// - [data-refresh]: re-reads a server-rendered, escaped fragment every data-interval ms
//   (a held transcript, the "try it" conversation), unless the agent is typing inside it.
// - #try-form: sends the customer's message (or a pressed button's payload) without reloading,
//   and shows the console's refusal (e.g. the assistant is down) as text.
// - form[data-confirm]: asks before an irreversible action.
"use strict";
(function () {
  async function refresh(element) {
    if (element.contains(document.activeElement)) return;
    try {
      const response = await fetch(element.dataset.refresh, {credentials: "same-origin"});
      if (!response.ok) return;
      const atBottom = element.scrollTop + element.clientHeight >= element.scrollHeight - 30;
      element.innerHTML = await response.text();
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
        await refresh(log);
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
