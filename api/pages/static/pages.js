// Bookflow's public pages work without this script; it only adds what a server cannot know.
"use strict";

// The visitor's own time zone: on the first visit to a booking page (no ?tz= yet), show the times in the
// zone the browser reports (Intl), when the page offers it. The visitor can still pick another.
document.addEventListener("DOMContentLoaded", () => {
  const select = document.querySelector("[data-zone-select]");
  if (!select) return;
  const params = new URLSearchParams(window.location.search);
  if (params.has("tz")) return;
  const detected = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const offered = Array.from(select.options).some((option) => option.value === detected);
  if (detected && offered && detected !== select.value) {
    params.set("tz", detected);
    window.location.replace(`${window.location.pathname}?${params}`);
  }
});
