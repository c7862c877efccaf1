// The console page: sends what the person does to the console's endpoints (which act as
// Slack toward the app) and redraws from the server. Plain JavaScript, no build step.
"use strict";

(() => {
  const body = document.body;
  const base = body.dataset.base;
  let version = body.dataset.version;
  let modalKey = body.dataset.modalKey || "";
  let inFlight = 0;
  // Uploads still running; a submit waits for them, as Slack's client does.
  const uploads = new Set();

  // -- talking to the console ---------------------------------------------------------------

  async function post(path, data) {
    inFlight += 1;
    body.classList.add("busy");
    try {
      const response = await fetch(base + path, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Console": "1" },
        body: JSON.stringify(data || {}),
      });
      const answer = await response.json().catch(() => ({ ok: false, error: `HTTP ${response.status}` }));
      if (!answer.ok) toast(answer.error || `HTTP ${response.status}`);
      return answer;
    } catch (error) {
      toast(`The console did not answer: ${error}`);
      return { ok: false };
    } finally {
      inFlight -= 1;
      await refresh();
      if (inFlight === 0) body.classList.remove("busy");
    }
  }

  // One redraw at a time, so an older answer never overwrites a newer one; a redraw asked for
  // meanwhile runs once more after it.
  let redrawing = null;
  let redrawAgain = false;

  function refresh() {
    if (redrawing) {
      redrawAgain = true;
      return redrawing;
    }
    redrawing = (async () => {
      do {
        redrawAgain = false;
        await redraw();
      } while (redrawAgain);
    })().finally(() => { redrawing = null; });
    return redrawing;
  }

  async function redraw() {
    let parts;
    try {
      const response = await fetch(base + "/parts", { cache: "no-store" });
      if (!response.ok) return;
      parts = await response.json();
    } catch (error) {
      return;
    }
    version = parts.version;
    swapMain(parts.main, parts.main_digest);
    swapModal(parts.modal, parts.modal_key);
    swapDrawer(parts.drawer, parts.drawer_count);
    showMailCount(parts.mail_count);
  }

  // The rail's Mail badge: how many e-mails the app has sent, on every page.
  function showMailCount(count) {
    const badge = document.getElementById("mail-count");
    if (!badge || count === undefined) return;
    badge.textContent = String(count);
    badge.setAttribute("aria-label", `${count} e-mail${count === 1 ? "" : "s"}`);
    badge.hidden = !count;
  }

  // What the app does later on its own (lazy listeners, views.update, chat.update) arrives as
  // server-sent events naming the screen's new version, as Slack pushes it over a websocket.
  // EventSource reconnects by itself after a dropped stream; when the console refused the
  // stream (too many pages open, or it restarted) it gives up, so a new one is opened later.
  const RECONNECT_MS = 3000;
  let stream = null;

  function listen() {
    stream = new EventSource(base + "/events");
    stream.addEventListener("open", () => { body.dataset.live = "stream"; });
    stream.addEventListener("version", (event) => {
      body.dataset.pushes = String(Number(body.dataset.pushes || 0) + 1);
      // A click in flight redraws when it is answered, which shows this change too.
      if (event.data !== version && inFlight === 0) refresh();
    });
    stream.addEventListener("error", () => {
      delete body.dataset.live;
      if (stream.readyState === EventSource.CLOSED) window.setTimeout(listen, RECONNECT_MS);
    });
  }

  // -- redrawing without losing what the person is doing ---------------------------------------

  let shownMain = body.dataset.mainDigest;
  // A redraw between a button's press and its release would swallow the click (the app
  // republishes the Home on every visit, with new block ids), so redraws wait for release.
  let pressing = false;
  const waiting = new Map();
  document.addEventListener("pointerdown", () => { pressing = true; }, true);
  document.addEventListener("pointerup", () => {
    // After the click that follows this release has been handled.
    window.setTimeout(() => {
      pressing = false;
      const redraws = Array.from(waiting.values());
      waiting.clear();
      redraws.forEach((redraw) => redraw());
    }, 0);
  }, true);

  function whenReleased(part, redraw) {
    waiting.set(part, redraw);
  }

  function swapMain(html, digest) {
    const main = document.getElementById("main");
    // An unchanged surface is left alone.
    if (!main || digest === shownMain) return;
    if (pressing) {
      whenReleased("main", () => swapMain(html, digest));
      return;
    }
    shownMain = digest;
    const atBottom = main.scrollHeight - main.scrollTop - main.clientHeight < 40;
    const top = main.scrollTop;
    // Mail's list and open e-mail scroll apart: each keeps its place when new mail arrives.
    const panes = Array.from(main.querySelectorAll(".mail-list, .mail-reader"))
      .map((pane) => [pane.className, pane.scrollTop]);
    const threads = threadDrafts(main);
    main.innerHTML = html;
    restoreThreadDrafts(main, threads);
    main.scrollTop = body.dataset.place === "home" || !atBottom ? top : main.scrollHeight;
    panes.forEach(([name, scrolled]) => {
      const pane = main.getElementsByClassName(name)[0];
      if (pane) pane.scrollTop = scrolled;
    });
  }

  // A reply being typed in a thread survives a redraw (a new message arriving meanwhile), as
  // does which threads were opened for a first reply.
  function threadDrafts(main) {
    const drafts = { typed: new Map(), open: new Set(), focused: null };
    main.querySelectorAll("form.thread-composer").forEach((form) => {
      const input = form.querySelector(".thread-input");
      if (input.value) drafts.typed.set(form.dataset.threadTs, input.value);
      if (document.activeElement === input) drafts.focused = form.dataset.threadTs;
      const details = form.closest("details");
      if (details && details.open) drafts.open.add(form.dataset.threadTs);
    });
    return drafts;
  }

  function restoreThreadDrafts(main, drafts) {
    main.querySelectorAll("form.thread-composer").forEach((form) => {
      const ts = form.dataset.threadTs;
      const input = form.querySelector(".thread-input");
      if (drafts.typed.has(ts)) input.value = drafts.typed.get(ts);
      const details = form.closest("details");
      if (details && drafts.open.has(ts)) details.open = true;
      if (drafts.focused === ts) input.focus();
    });
  }

  // What the app last saw of the open modal (as drawn, or as sent with a click or a submit),
  // control by control: what differs from it now was typed since, and no redraw may lose it.
  let known = new Map();

  function swapModal(html, key) {
    if (key === modalKey) return;
    if (pressing) {
      whenReleased("modal", () => swapModal(html, key));
      return;
    }
    const root = document.getElementById("modal-root");
    const old = root.querySelector("form.modal");
    const oldId = old ? old.dataset.viewId : null;
    const typed = old ? snapshot(old) : null;
    const focused = document.activeElement && old && old.contains(document.activeElement)
      ? document.activeElement.id : null;
    const focusedControl = focused && document.activeElement.closest("[data-stateful]");
    root.innerHTML = html;
    modalKey = key;
    const fresh = root.querySelector("form.modal");
    if (!fresh) {
      known = new Map();
      return;
    }
    const sameView = typed && oldId === fresh.dataset.viewId;
    const drawn = snapshot(fresh);
    if (sameView) {
      // Slack keeps what was typed into inputs that survive a views.update of the same view.
      restore(fresh, typed);
      carryOver(fresh, typed, drawn);
    }
    known = drawn;
    const again = (focused && document.getElementById(focused)) || (sameView && sameControl(fresh, focusedControl));
    if (again) again.focus();
    else if (!sameView) focusFirst(fresh);
  }

  // The app may give an input a new block id to empty it (after "Add service", the form is
  // ready for the next one); what the person typed into it after the app last saw it is
  // theirs, not the app's to clear, so it moves to the control with the same action id.
  function carryOver(fresh, typed, drawn) {
    const controls = Array.from(fresh.querySelectorAll("[data-stateful]"));
    typed.forEach((value, key) => {
      if (drawn.has(key) || same(value, known.get(key))) return;
      const actionId = key.split("\u0000")[1];
      const matches = controls.filter((c) => c.dataset.actionId === actionId && !typed.has(keyOf(c)));
      if (matches.length === 1) setValue(matches[0], value);
    });
  }

  // Slack scrolls a modal to its first error, so a failed Save never looks like nothing happened.
  function showFirstError(form) {
    const first = form.querySelector(".bk-invalid");
    if (!first) return;
    first.scrollIntoView({ block: "center" });
    const control = first.querySelector("input, select, textarea");
    if (control) control.focus({ preventScroll: true });
  }

  // The control now standing where `control` stood: the only one with its action id.
  function sameControl(form, control) {
    if (!control) return null;
    const matches = Array.from(form.querySelectorAll("[data-stateful]"))
      .filter((c) => c.dataset.actionId === control.dataset.actionId);
    return matches.length === 1 ? matches[0] : null;
  }

  function same(a, b) {
    return JSON.stringify(a === undefined ? null : a) === JSON.stringify(b === undefined ? null : b);
  }

  function swapDrawer(html, count) {
    const drawer = document.getElementById("drawer");
    const open = new Set(
      Array.from(drawer.querySelectorAll("details[open]")).map((d) => d.dataset.key),
    );
    drawer.innerHTML = html;
    drawer.querySelectorAll("details").forEach((d) => {
      if (open.has(d.dataset.key)) d.open = true;
    });
    document.getElementById("drawer-count").textContent = count;
  }

  function focusFirst(form) {
    const first = form.querySelector(".bk-invalid [data-stateful], .modal-body [data-stateful]");
    const target = first && (first.matches("input, select, textarea") ? first : first.querySelector("input"));
    if (target) target.focus();
  }

  // -- reading and writing controls, in the friendly forms the console's server takes ----------

  function valueOf(control) {
    const type = control.dataset.type;
    switch (type) {
      case "checkboxes":
        return Array.from(control.querySelectorAll("input:checked")).map((i) => i.value);
      case "radio_buttons": {
        const picked = control.querySelector("input:checked");
        return picked ? picked.value : null;
      }
      case "file_input":
        return JSON.parse(control.dataset.files || "[]");
      case "datetimepicker":
        return control.value ? Math.floor(Date.parse(control.value + ":00Z") / 1000) : null;
      case "external_select": {
        // The option as Slack keeps it, text and all: the app only listed it on request.
        const picked = control.selectedOptions[0];
        if (!picked || picked.value === "") return null;
        return { text: { type: "plain_text", text: picked.textContent }, value: picked.value };
      }
      default:
        if (control.multiple) return Array.from(control.selectedOptions).map((o) => o.value);
        return control.value === "" ? null : control.value;
    }
  }

  function keyOf(control) {
    return `${control.dataset.blockId}\u0000${control.dataset.actionId}`;
  }

  function snapshot(form) {
    const typed = new Map();
    form.querySelectorAll("[data-stateful]").forEach((control) => {
      if (control.dataset.type === "file_input") {
        // Chosen files live only in the page until the form is sent: an update of the view
        // by the app (a preview redrawn) must not drop them.
        const chips = control.querySelector(".bk-file-list").innerHTML;
        typed.set(keyOf(control), { files: valueOf(control), chips });
      } else {
        typed.set(keyOf(control), valueOf(control));
      }
    });
    return typed;
  }

  function restore(form, typed) {
    form.querySelectorAll("[data-stateful]").forEach((control) => {
      const key = keyOf(control);
      if (typed.has(key)) setValue(control, typed.get(key));
    });
  }

  function setValue(control, value) {
    if (control.dataset.type === "external_select") {
      const listed = value && Array.from(control.options).some((o) => o.value === value.value);
      if (value && !listed) control.add(new Option(value.text.text, value.value));
      control.value = value ? value.value : "";
    } else if (control.dataset.type === "file_input") {
      // The server draws the files the view's state holds; files chosen since are put back.
      if (value && value.files.length && control.dataset.files !== JSON.stringify(value.files)) {
        control.dataset.files = JSON.stringify(value.files);
        control.querySelector(".bk-file-list").innerHTML = value.chips;
      }
    } else if (control.matches("input, textarea") && control.type !== "file") {
      control.value = value === null ? "" : value;
    } else if (control.matches("select")) {
      const chosen = new Set([].concat(value === null ? [] : value));
      Array.from(control.options).forEach((o) => { o.selected = chosen.has(o.value); });
    } else if (control.matches(".bk-choices")) {
      const chosen = new Set([].concat(value === null ? [] : value));
      control.querySelectorAll("input").forEach((i) => { i.checked = chosen.has(i.value); });
    }
  }

  function formValues(form) {
    return Array.from(form.querySelectorAll("[data-stateful]")).map((control) => ({
      block_id: control.dataset.blockId,
      action_id: control.dataset.actionId,
      value: valueOf(control),
    }));
  }

  // -- what a click or a pick means ------------------------------------------------------------

  function whereIs(element) {
    const modal = element.closest("form.modal");
    if (modal) {
      known = snapshot(modal);
      return { view_id: modal.dataset.viewId, values: formValues(modal) };
    }
    const home = element.closest("[data-surface=home]");
    if (home) return { view_id: home.dataset.viewId };
    const message = element.closest("[data-surface=message]");
    if (message) return { channel_id: message.dataset.channelId, ts: message.dataset.ts };
    return null;
  }

  async function act(control, value) {
    const where = whereIs(control);
    if (!where) return;
    const confirm = control.dataset.confirm ? JSON.parse(control.dataset.confirm) : null;
    if (confirm && !(await confirmed(confirm))) return;
    const url = control.dataset.url;
    if (url) window.open(url, "_blank", "noopener");
    await post("/action", {
      ...where,
      block_id: control.dataset.blockId,
      action_id: control.dataset.actionId,
      value,
    });
  }

  function confirmed(dialog) {
    const root = document.getElementById("confirm");
    document.getElementById("confirm-title").textContent = dialog.title;
    document.getElementById("confirm-text").textContent = dialog.text;
    const ok = document.getElementById("confirm-ok");
    const deny = document.getElementById("confirm-deny");
    ok.textContent = dialog.confirm;
    deny.textContent = dialog.deny;
    ok.classList.toggle("btn-danger", dialog.style === "danger");
    root.hidden = false;
    ok.focus();
    return new Promise((resolve) => {
      const done = (answer) => {
        root.hidden = true;
        ok.onclick = deny.onclick = null;
        resolve(answer);
      };
      ok.onclick = () => done(true);
      deny.onclick = () => done(false);
    });
  }

  function upload(chooser) {
    const running = uploadFiles(chooser);
    uploads.add(running);
    running.finally(() => uploads.delete(running));
  }

  async function uploadFiles(chooser) {
    const group = chooser.closest("[data-type=file_input]");
    const list = group.querySelector(".bk-file-list");
    const single = !chooser.multiple;
    let chosen = single ? [] : JSON.parse(group.dataset.files || "[]");
    if (single) list.innerHTML = "";
    inFlight += 1;
    try {
      for (const file of Array.from(chooser.files)) {
        const form = new FormData();
        form.append("file", file, file.name);
        const response = await fetch(base + "/files", {
          method: "POST",
          headers: { "X-Console": "1" },
          body: form,
        });
        const answer = await response.json().catch(() => ({ ok: false, error: `HTTP ${response.status}` }));
        if (!answer.ok) {
          toast(answer.error);
          continue;
        }
        chosen.push(answer.id);
        const chip = document.createElement("li");
        chip.className = "bk-file-chip";
        chip.textContent = answer.name;
        list.appendChild(chip);
      }
    } finally {
      inFlight -= 1;
    }
    // The app may have updated the view while the files went up (a preview redrawn): the
    // chooser on the page now is another element, and the files belong to it.
    const live = group.isConnected ? group : document.querySelector(
      `form.modal [data-type=file_input][data-block-id="${group.dataset.blockId}"]` +
      `[data-action-id="${group.dataset.actionId}"]`,
    );
    if (live && live !== group) live.querySelector(".bk-file-list").innerHTML = list.innerHTML;
    (live || group).dataset.files = JSON.stringify(chosen);
    chooser.value = "";
  }

  // The app's clock moves on and whatever fell due goes out; the sidebar saying what time it
  // is for the app is drawn with the page, so the page is drawn again.
  async function skipTime(seconds) {
    const answer = await post("/clock", { seconds });
    if (answer.ok) window.location.reload();
  }

  // -- wiring ----------------------------------------------------------------------------------

  document.addEventListener("click", (event) => {
    const target = event.target;
    const close = target.closest("[data-close]");
    if (close) {
      const modal = close.closest("form.modal");
      if (modal) post("/close", { view_id: modal.dataset.viewId });
      return;
    }
    const item = target.closest(".bk-menu-item");
    if (item) {
      const menu = item.closest("[data-type=overflow]");
      menu.open = false;
      act(menu, item.dataset.value);
      return;
    }
    const button = target.closest("button[data-type=button]");
    if (button) {
      act(button, null);
      return;
    }
    const react = target.closest("[data-react]");
    if (react) {
      const message = react.closest("[data-ts]");
      post("/react", { ts: message.dataset.ts, reaction: react.dataset.react });
      return;
    }
    const skip = target.closest("[data-skip-seconds]");
    if (skip) {
      skipTime(Number(skip.dataset.skipSeconds));
      return;
    }
    const hint = target.closest(".command-hint");
    if (hint) {
      const input = document.getElementById("composer-input");
      input.value = hint.dataset.command + " ";
      input.focus();
      showHints();
      return;
    }
    if (target.closest("#drawer-toggle")) {
      const drawer = document.getElementById("drawer");
      drawer.hidden = !drawer.hidden;
      body.classList.toggle("drawer-open", !drawer.hidden);
      target.closest("#drawer-toggle").setAttribute("aria-expanded", String(!drawer.hidden));
    }
  });

  document.addEventListener("change", (event) => {
    const target = event.target;
    if (target.matches(".bk-file-chooser")) {
      upload(target);
      return;
    }
    const control = target.closest("[data-stateful][data-dispatch]");
    if (control && !control.matches("input[type=text], input[type=email], input[type=url], textarea")) {
      act(control, valueOf(control));
    }
  });

  document.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    const control = event.target.closest("input[data-stateful][data-dispatch]");
    if (control) {
      // Slack's default dispatch_action_config: send when Enter is pressed in the field.
      event.preventDefault();
      act(control, valueOf(control));
    }
  });

  document.addEventListener("submit", (event) => {
    const form = event.target;
    event.preventDefault();
    if (form.matches("form.modal")) {
      const buttons = form.querySelectorAll("[data-submit]");
      if (Array.from(buttons).some((b) => b.disabled)) return;
      buttons.forEach((b) => { b.disabled = true; });
      // A redraw replaces the buttons; when the modal did not change, enable them again.
      Promise.all(Array.from(uploads))
        .then(() => {
          known = snapshot(form);
          return post("/submit", { view_id: form.dataset.viewId, values: formValues(form) });
        })
        .then(() => {
          buttons.forEach((b) => { b.disabled = false; });
          const shown = document.querySelector("form.modal");
          if (shown && shown.dataset.viewId === form.dataset.viewId) showFirstError(shown);
        });
    } else if (form.matches("form.thread-composer")) {
      const input = form.querySelector(".thread-input");
      const text = input.value.trim();
      if (!text) return;
      input.value = "";
      post("/command", { text, thread_ts: form.dataset.threadTs });
    } else if (form.id === "composer") {
      const input = document.getElementById("composer-input");
      const text = input.value.trim();
      if (!text) return;
      input.value = "";
      showHints();
      post("/command", { text });
    }
  });

  function showHints() {
    const input = document.getElementById("composer-input");
    const hints = document.getElementById("command-hints");
    if (!input || !hints) return;
    const typed = input.value.trim();
    let shown = 0;
    hints.querySelectorAll(".command-hint").forEach((hint) => {
      const match = typed.startsWith("/") && !typed.includes(" ") && hint.dataset.command.startsWith(typed);
      hint.parentElement.hidden = !match;
      if (match) shown += 1;
    });
    hints.hidden = shown === 0;
  }

  document.addEventListener("input", (event) => {
    if (event.target.id === "composer-input") showHints();
  });

  // -- select menus that search ----------------------------------------------------------------

  // Slack asks the app for options as the person types, after a pause; so does the console.
  const SUGGEST_AFTER_MS = 250;
  let suggestTimer = null;
  document.addEventListener("input", (event) => {
    const query = event.target.closest("input.bk-suggest");
    if (!query) return;
    window.clearTimeout(suggestTimer);
    suggestTimer = window.setTimeout(() => suggest(query), SUGGEST_AFTER_MS);
  });

  async function suggest(query) {
    const menu = document.getElementById(query.dataset.suggestFor);
    const modal = query.closest("form.modal");
    if (!menu || !modal || query.value.length < Number(query.dataset.min)) return;
    let answer;
    try {
      const response = await fetch(base + "/suggest", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Console": "1" },
        body: JSON.stringify({
          view_id: modal.dataset.viewId,
          action_id: menu.dataset.actionId,
          text: query.value,
        }),
      });
      answer = await response.json();
    } catch (error) {
      toast(`The console did not answer: ${error}`);
      return;
    }
    if (!answer.ok) {
      toast(answer.error || "No options");
      return;
    }
    const prompt = new Option(
      answer.options.length ? `${answer.options.length} found, pick one` : "Nothing found", "");
    menu.replaceChildren(prompt, ...answer.options.map((o) => new Option(o.text, o.value)));
  }

  let toastTimer = null;
  function toast(text) {
    const box = document.getElementById("toast");
    box.textContent = text;
    box.hidden = false;
    window.clearTimeout(toastTimer);
    toastTimer = window.setTimeout(() => { box.hidden = true; }, 6000);
  }

  // A machine without a colour emoji font draws emoji as empty boxes; the page then shows
  // their :shortcode: (console.css), except the marks the console draws itself.
  function hasColourEmoji() {
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = 24;
    const pen = canvas.getContext("2d", { willReadFrequently: true });
    pen.textBaseline = "top";
    pen.font = "20px sans-serif";
    pen.fillText("\u{1F389}", 0, 0);
    const pixels = pen.getImageData(0, 0, 24, 24).data;
    for (let i = 0; i < pixels.length; i += 4) {
      if (pixels[i + 3] && (pixels[i] !== pixels[i + 1] || pixels[i + 1] !== pixels[i + 2])) return true;
    }
    return false;
  }
  if (!hasColourEmoji()) body.classList.add("no-emoji-font");

  // Slack tells the app each time its Home or Messages tab is opened.
  if (body.dataset.place === "home" || body.dataset.place === "messages") post("/opened");
  const main = document.getElementById("main");
  if (main && body.dataset.place !== "home") main.scrollTop = main.scrollHeight;
  const modal = document.querySelector("form.modal");
  if (modal) {
    known = snapshot(modal);
    focusFirst(modal);
  }
  // The composer is served disabled so nothing typed before this point is lost.
  document.querySelectorAll("#composer input, #composer button").forEach((control) => {
    control.disabled = false;
  });
  listen();
  window.addEventListener("pagehide", () => stream && stream.close());
})();
