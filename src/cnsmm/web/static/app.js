// Progressive enhancement only: every page works without this file (the import form posts
// the report and shows its job page; with this script it uploads in place and shows the summary).
document.addEventListener("DOMContentLoaded", () => {
  const all = document.getElementById("select-all");
  if (all) {
    all.addEventListener("change", () => {
      document.querySelectorAll("input.pick").forEach((box) => { box.checked = all.checked; });
    });
  }
  const form = document.getElementById("import-form");
  if (form) {
    const result = document.getElementById("import-result");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const file = form.querySelector("input[type=file]").files[0];
      if (!file) return;
      const project = encodeURIComponent(form.dataset.project);
      const params = new URLSearchParams({ name: file.name });
      const scope = form.querySelector("input[name=scope]").value.trim();
      if (scope) params.set("scope", scope);
      result.textContent = "uploading " + file.name + " …";
      try {
        const sent = await fetch(`/api/v1/projects/${project}/imports?${params}`, {
          method: "POST", body: file, credentials: "same-origin",
          headers: { "X-CSRF-Token": form.dataset.csrf, "Content-Type": "application/octet-stream" },
        });
        const job = await sent.json();
        if (!sent.ok) { result.textContent = "refused: " + JSON.stringify(job.detail); return; }
        for (;;) {
          await new Promise((done) => setTimeout(done, 1000));
          const state = await (await fetch(job.poll, { credentials: "same-origin" })).json();
          if (state.status === "done") {
            const r = state.result || {};
            result.textContent = `done: ${file.name}: ${r.new} new, ${r.seen_again} seen again, ` +
              `${r.reopened} reopened, ${r.closed_fixed} closed as fixed`;
            return;
          }
          if (state.status === "failed") { result.textContent = "failed: " + state.error; return; }
          result.textContent = state.status + " …";
        }
      } catch (error) {
        result.textContent = "failed: " + error;
      }
    });
  }
});
