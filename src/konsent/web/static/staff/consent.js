// The signed form is hashed here, in the browser: only its SHA-256 is sent, the scan stays at the desk.
// Without JavaScript (or without SubtleCrypto, outside https) the file is uploaded, hashed and dropped.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const file = document.getElementById("consent-document");
  const hash = document.getElementById("consent-document-hash");
  const shown = document.getElementById("consent-document-digest");
  if (!file || !hash || !window.crypto || !window.crypto.subtle) {
    return;
  }
  file.addEventListener("change", async () => {
    hash.value = "";
    shown.textContent = "";
    file.setAttribute("name", "document");
    const chosen = file.files && file.files[0];
    if (!chosen) {
      return;
    }
    const digest = await window.crypto.subtle.digest("SHA-256", await chosen.arrayBuffer());
    hash.value = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
    shown.textContent = "SHA-256: " + hash.value;
    file.removeAttribute("name"); // the file itself is not sent
  });
});
