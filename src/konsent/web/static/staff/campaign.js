// The campaign builder's live preview and the progress of a campaign being sent. Without this file
// the pages work the same: "Show preview" posts the form, and "Refresh" reloads the progress.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("campaign-form");
  const preview = document.getElementById("campaign-preview");
  if (form && preview && form.dataset.preview) {
    let timer = null;
    let asked = 0;
    const refresh = async () => {
      const mine = ++asked;
      preview.setAttribute("aria-busy", "true");
      try {
        // The form as it stands, its CSRF token included; the server saves nothing.
        const answer = await fetch(form.dataset.preview + "?fragment=1", {
          method: "POST", body: new FormData(form), credentials: "same-origin",
          headers: { "Accept": "text/html" },
        });
        const html = await answer.text();
        if (mine === asked && (answer.ok || answer.status === 422)) {
          preview.innerHTML = html;
        }
      } catch (error) {
        // Offline or the server away: the button still works.
      } finally {
        if (mine === asked) {
          preview.removeAttribute("aria-busy");
        }
      }
    };
    const soon = () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, 400);
    };
    form.addEventListener("input", soon);
    form.addEventListener("change", soon);
  }
  const progress = document.getElementById("campaign-progress");
  if (progress && progress.dataset.poll) {
    const poll = async () => {
      try {
        const answer = await fetch(progress.dataset.poll, { credentials: "same-origin", headers: { "Accept": "text/html" } });
        if (answer.ok) {
          progress.innerHTML = await answer.text();
        }
      } catch (error) {
        // Try again at the next tick.
      }
      if (document.getElementById("progress-refresh")) {
        window.setTimeout(poll, 5000);  // still sending
      }
    };
    window.setTimeout(poll, 5000);
  }
});
