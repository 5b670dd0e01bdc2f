// The schedule form's live parts: on a change, the form is sent as "Preview" would send it
// and each part marked data-live (the next runs, the job type's fields) is replaced with the
// answer's. Without script, the Preview button does the same with a page load.
for (const form of document.querySelectorAll("form[data-preview]")) {
  let timer;
  const refresh = () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const data = new URLSearchParams(new FormData(form));
      data.set("intent", "preview");
      const resp = await fetch(form.action, { method: "POST", body: data, credentials: "same-origin" });
      const doc = new DOMParser().parseFromString(await resp.text(), "text/html");
      for (const shown of form.querySelectorAll("[data-live]")) {
        const fresh = doc.getElementById(shown.id);
        if (fresh) shown.replaceWith(fresh);
      }
    }, 300);
  };
  form.addEventListener("input", refresh);
  form.addEventListener("change", refresh);
}
