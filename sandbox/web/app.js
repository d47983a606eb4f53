// empowerbot sandbox page: a small Slack. Plain JS, no build step.
// It renders whatever Block Kit the bot sends, so new flows appear without changes here.
//
// To add a piece (a showcase, a button on messages): onMessageRendered(fn) adds to every
// rendered message; a guided-tour step is added server-side (sandbox/tour.go), and the panel
// draws it; the sidebar's sections are #channels, #apps and #jobs, each redrawn from S.state.
"use strict";

const S = {
  state: null,       // GET /api/state
  me: null,          // user ID
  conv: null,        // channel ID, or "app" for the bot's DM / Home
  tab: "messages",   // for the app: "home" or "messages"
  msgs: [],          // messages of the current conversation
  viewEvents: 0,     // view events seen so far (a modal fetched before the last one is stale)
  loads: [],         // history fetches on their way: {channel, early: messages the events brought meanwhile}
  modal: null,       // the open modal (ViewJSON)
  home: null,        // the App Home (ViewJSON)
  unread: {},        // person -> conversation -> {messages, mentions}, kept by the server
  es: null,          // EventSource
  tour: null,        // the guided tour's steps (GET /api/tour)
  decorators: [],    // functions (message, body element) adding to a rendered message
};

// onMessageRendered registers fn(m, body) to add to each rendered message (a reaction bar,
// a showcase's badge); it runs after the blocks and files are in body.
function onMessageRendered(fn) { S.decorators.push(fn); }

const $ = (sel) => document.querySelector(sel);
const el = (tag, attrs, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "html") e.innerHTML = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const k of kids.flat()) if (k !== null && k !== undefined) e.append(k.nodeType ? k : document.createTextNode(k));
  return e;
};

async function api(method, path, body) {
  const opts = { method, headers: {} };
  if (body !== undefined) { opts.body = JSON.stringify(body); opts.headers["Content-Type"] = "application/json"; }
  const r = await fetch(path, opts);
  let j = {};
  try { j = await r.json(); } catch (e) { /* not JSON */ }
  if (!r.ok || j.ok === false) throw new Error(j.error || r.statusText);
  return j;
}

// toast shows a short note; the same note again while it shows counts up on it ("×3")
// instead of stacking a copy.
function toast(text, isError) {
  const ms = isError ? 7000 : 3500;
  const same = [...$("#toasts").children].find((t) => t.dataset.text === text);
  if (same) {
    same.dataset.n = String(+same.dataset.n + 1);
    same.querySelector(".times").textContent = "×" + same.dataset.n;
    clearTimeout(same._timer);
    same._timer = setTimeout(() => same.remove(), ms);
    return;
  }
  const t = el("div", { class: "toast" + (isError ? " error" : ""), "data-text": text, "data-n": "1" }, text, el("span", { class: "times" }));
  $("#toasts").append(t);
  t._timer = setTimeout(() => t.remove(), ms);
}

// ---- text rendering -------------------------------------------------------------------------

const EMOJI = {
  warning: "⚠️", raised_hand: "✋", hand: "✋", raising_hand: "🙋", v: "✌️", partying_face: "🥳", medal: "🏅",
  sports_medal: "🏅", first_place_medal: "🥇", gift: "🎁", balloon: "🎈", confetti_ball: "🎊", heart_eyes: "😍",
  hugging_face: "🤗", thinking_face: "🤔", writing_hand: "✍️", calendar_spiral: "🗓️", chart: "💹", new: "🆕", white_check_mark: "✅", heavy_check_mark: "✔️", x: "❌", tada: "🎉", raised_hands: "🙌",
  clap: "👏", hourglass: "⌛", hourglass_flowing_sand: "⏳", arrow_up: "⬆️", arrow_right: "➡️", lock: "🔒",
  bulb: "💡", memo: "📝", star: "⭐", star2: "🌟", trophy: "🏆", handshake: "🤝", calendar: "📆", date: "📅",
  spiral_calendar_pad: "🗓️", bell: "🔔", no_entry: "⛔", no_entry_sign: "🚫", speech_balloon: "💬",
  thumbsup: "👍", "+1": "👍", thumbsdown: "👎", wave: "👋", rocket: "🚀", sparkles: "✨", muscle: "💪",
  information_source: "ℹ️", chart_with_upwards_trend: "📈", bar_chart: "📊", package: "📦", question: "❓",
  grey_question: "❔", pray: "🙏", heart: "❤️", seedling: "🌱", mag: "🔍", inbox_tray: "📥", outbox_tray: "📤",
  envelope: "✉️", email: "📧", pushpin: "📌", clipboard: "📋", dart: "🎯", ok_hand: "👌", eyes: "👀",
  shield: "🛡️", scales: "⚖️", moneybag: "💰", money_with_wings: "💸", dollar: "💵", zap: "⚡", fire: "🔥",
  stopwatch: "⏱️", alarm_clock: "⏰", clock1: "🕐", repeat: "🔁", leftwards_arrow_with_hook: "↩️",
  thought_balloon: "💭", construction: "🚧", bust_in_silhouette: "👤", busts_in_silhouette: "👥",
  ballot_box_with_check: "☑️", red_circle: "🔴", large_green_circle: "🟢", large_yellow_circle: "🟡",
  hammer_and_wrench: "🛠️", gear: "⚙️", sunglasses: "😎", slightly_smiling_face: "🙂", smile: "😄",
  compass: "🧭", incoming_envelope: "📨", large_blue_circle: "🔵", large_orange_circle: "🟠", large_purple_circle: "🟣", white_circle: "⚪",
  confused: "😕", man_shrugging: "🤷", crossed_fingers: "🤞", point_right: "👉", link: "🔗", lock_with_ink_pen: "🔏",
  grinning: "😀", smiley: "😃", joy: "😂", laughing: "😆", wink: "😉", blush: "😊", relaxed: "☺️", smiling_face_with_3_hearts: "🥰",
  sob: "😭", cry: "😢", disappointed: "😞", worried: "😟", grimacing: "😬", sweat_smile: "😅", "100": "💯", ok: "🆗",
  raised_hand_with_fingers_splayed: "🖐️", point_up: "☝️", point_down: "👇", punch: "👊", facepunch: "👊", fist: "✊",
  green_heart: "💚", blue_heart: "💙", purple_heart: "💜", yellow_heart: "💛", orange_heart: "🧡", star_struck: "🤩",
  champagne: "🍾", beers: "🍻", coffee: "☕", pizza: "🍕", cake: "🍰", birthday: "🎂", trophy_cup: "🏆", sun: "☀️",
  sunny: "☀️", rainbow: "🌈", warning_sign: "⚠️", exclamation: "❗", heavy_exclamation_mark: "❗", heavy_plus_sign: "➕",
  heavy_minus_sign: "➖", arrow_down: "⬇️", arrow_left: "⬅️", arrows_counterclockwise: "🔄", calling: "📲", phone: "☎️",
  telephone_receiver: "📞", truck: "🚚", car: "🚗", wrench: "🔧", hammer: "🔨", toolbox: "🧰", hourglass_done: "⌛",
  white_check: "✅", ballot_box: "🗳️", pencil: "📝", pencil2: "✏️", books: "📚", book: "📖", notebook: "📓",
  page_facing_up: "📄", bookmark: "🔖", label: "🏷️", key: "🔑", unlock: "🔓", flag: "🚩", triangular_flag_on_post: "🚩",
  checkered_flag: "🏁", see_no_evil: "🙈", ghost: "👻", robot_face: "🤖", robot: "🤖", nerd_face: "🤓", heart_hands: "🫶",
  palm_tree: "🌴", beach_with_umbrella: "🏖️", airplane: "✈️", house: "🏠", office: "🏢", world_map: "🗺️", globe_with_meridians: "🌐",
};
// :clock1: … :clock12: and :clock130: … :clock1230:
for (let h = 1; h <= 12; h++) {
  EMOJI["clock" + h] = String.fromCodePoint(0x1F550 + h - 1);
  EMOJI["clock" + h + "30"] = String.fromCodePoint(0x1F55C + h - 1);
}

function escapeHTML(s) {
  return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

// emojify turns :name: into the emoji for the common names (a skin tone after it is dropped);
// an unknown name stays as typed, as Slack shows a custom emoji it cannot draw.
function emojify(html) {
  return html.replace(/:([a-z0-9_+-]+):(?::skin-tone-[2-6]:)?/g, (m, name) => EMOJI[name] || m);
}

// Slack's entities in message text are &amp; &lt; &gt; only.
function unslack(s) {
  return s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

function userName(id) {
  const n = S.state && S.state.users[id];
  return n || id;
}

function safeURL(u) {
  return /^(https?:|mailto:)/i.test(u) ? u : null;
}

// markup renders one <…> token of Slack text as HTML.
function markup(inner) {
  const bar = inner.indexOf("|");
  const target = bar >= 0 ? inner.slice(0, bar) : inner;
  const label = bar >= 0 ? inner.slice(bar + 1) : "";
  if (target.startsWith("@")) {
    const id = target.slice(1);
    const me = id === S.me ? " me" : "";
    return `<span class="mention${me}" data-user="${escapeHTML(id)}">@${escapeHTML(userName(id))}</span>`;
  }
  if (target.startsWith("#")) {
    const id = target.slice(1);
    const ch = (S.state.channels.find((c) => c.id === id) || {}).name || label || id;
    return `<span class="mention">#${escapeHTML(unslack(ch))}</span>`;
  }
  if (target.startsWith("!subteam^")) return `<span class="mention">${escapeHTML(unslack(label || "@group"))}</span>`;
  if (target.startsWith("!date^")) return escapeHTML(unslack(label));
  // @here, @channel, @everyone: highlighted as Slack does (the sandbox notifies nobody)
  if (/^!(here|channel|everyone)$/.test(target)) return `<span class="broadcast">@${target.slice(1)}</span>`;
  // any other special markup is shown as its label or name in grey, never as raw markup
  if (target.startsWith("!")) return `<span class="markup">${escapeHTML(unslack(label || target.slice(1)))}</span>`;
  const url = safeURL(unslack(target));
  const text = escapeHTML(unslack(label || target));
  return url ? `<a href="${escapeHTML(url)}" target="_blank" rel="noopener noreferrer">${text}</a>` : text;
}

// mrkdwn renders Slack mrkdwn as safe HTML: every piece of text is escaped; only the markup
// made here (bold, italic, strike, code, quotes, links, mentions) is HTML.
function mrkdwn(src) {
  const slots = [];
  const hold = (html) => { slots.push(html); return "\u0000" + (slots.length - 1) + "\u0000"; };
  let s = String(src || "");
  s = s.replace(/```([\s\S]*?)```/g, (m, code) => hold("<pre>" + escapeHTML(unslack(code)) + "</pre>"));
  s = s.replace(/`([^`\n]+)`/g, (m, code) => hold("<code>" + escapeHTML(unslack(code)) + "</code>"));
  s = s.replace(/<([^<>\n]+)>/g, (m, inner) => hold(markup(inner)));
  s = escapeHTML(unslack(s));
  s = s.replace(/(^|[^\w*])\*(?=\S)([^*\n]*?\S)\*(?!\w)/g, "$1<b>$2</b>");
  s = s.replace(/(^|[^\w_])_(?=\S)([^_\n]*?\S)_(?!\w)/g, "$1<i>$2</i>");
  s = s.replace(/(^|[^\w~])~(?=\S)([^~\n]*?\S)~(?!\w)/g, "$1<s>$2</s>");
  // a quote is ">" at the start of a line, with or without a space after it
  s = s.split("\n").map((line) => line.startsWith("&gt;") ? "<blockquote>" + line.slice(4).replace(/^ /, "") + "</blockquote>" : line).join("\n");
  s = s.replace(/\n/g, "<br>").replace(/<\/blockquote><br>/g, "</blockquote>");
  s = emojify(s);
  return s.replace(/\u0000(\d+)\u0000/g, (m, i) => slots[+i]);
}

function textHTML(t) {
  if (!t) return "";
  if (typeof t === "string") return mrkdwn(t);
  if (t.type === "mrkdwn") return mrkdwn(t.text);
  const h = escapeHTML(t.text || "");
  return t.emoji === false ? h : emojify(h);
}

function plain(t) {
  if (!t) return "";
  return typeof t === "string" ? t : (t.text || "");
}

// ---- Block Kit ------------------------------------------------------------------------------

// ctx: {kind: "message"|"view", channel, ts, viewID, inputs: bool, errors: {}}
function renderBlocks(blocks, ctx) {
  const frag = document.createDocumentFragment();
  for (const b of blocks || []) frag.append(renderBlock(b, ctx));
  return frag;
}

function renderBlock(b, ctx) {
  switch (b.type) {
    case "header":
      return el("div", { class: "bk-header", html: textHTML(b.text) });
    case "section": {
      const sec = el("div", { class: "bk-section", "data-block": b.block_id });
      const body = el("div", { class: "bk-text mrkdwn" });
      if (b.text) body.append(el("div", { html: textHTML(b.text) }));
      if (b.fields && b.fields.length) body.append(el("div", { class: "bk-fields" }, b.fields.map((f) => el("div", { class: "mrkdwn", html: textHTML(f) }))));
      sec.append(body);
      if (b.accessory) sec.append(el("div", { class: "bk-accessory" }, renderElement(b.accessory, b.block_id, ctx)));
      return sec;
    }
    case "context":
      return el("div", { class: "bk-context" }, (b.elements || []).map((e) =>
        e.type === "image" ? imageEl(e.image_url, e.alt_text) : el("span", { class: "mrkdwn", html: textHTML(e) })));
    case "divider":
      return el("hr", { class: "bk-divider" });
    case "actions":
      return el("div", { class: "bk-actions", "data-block": b.block_id }, (b.elements || []).map((e) => renderElement(e, b.block_id, ctx)));
    case "image":
      return el("div", { class: "bk-image" }, b.title ? el("div", { class: "title", html: textHTML(b.title) }) : null, imageEl(b.image_url, b.alt_text));
    case "input":
      return renderInput(b, ctx);
    case "rich_text":
      return el("div", { class: "mrkdwn", html: richText(b) });
    default:
      return el("div", { class: "bk-unknown" }, `[${b.type} block]`);
  }
}

function imageEl(url, alt) {
  const u = safeURL(url || "");
  return u ? el("img", { src: u, alt: alt || "", loading: "lazy" }) : el("span", { class: "bk-unknown" }, alt || "[image]");
}

function richText(b) {
  const walk = (els) => (els || []).map((e) => {
    if (e.type === "text") {
      let h = escapeHTML(e.text);
      if (e.style && e.style.bold) h = "<b>" + h + "</b>";
      if (e.style && e.style.italic) h = "<i>" + h + "</i>";
      if (e.style && e.style.code) h = "<code>" + h + "</code>";
      return h;
    }
    if (e.type === "user") return markup("@" + e.user_id);
    if (e.type === "link") return markup(e.url + (e.text ? "|" + e.text : ""));
    if (e.type === "emoji") return EMOJI[e.name] || ":" + escapeHTML(e.name) + ":";
    if (e.elements) return walk(e.elements) + (e.type === "rich_text_section" ? "" : "<br>");
    return "";
  }).join("");
  return walk(b.elements).replace(/\n/g, "<br>");
}

// renderElement renders an interactive element outside input blocks (buttons and friends).
function renderElement(e, blockID, ctx) {
  if (e.type === "image") return imageEl(e.image_url, e.alt_text);
  if (e.type === "button") {
    const cls = "bk-button" + (e.style ? " " + e.style : "");
    return el("button", {
      type: "button", class: cls, "data-action": e.action_id, "data-block": blockID,
      onclick: (ev) => clickButton(ev.currentTarget, e, blockID, ctx),
      html: emojify(escapeHTML(plain(e.text))),
    });
  }
  return renderChooser(e, blockID, ctx);
}

// renderChooser renders a select menu, overflow menu or picker outside input blocks; choosing
// sends block_actions with the choice, as Slack does.
function renderChooser(e, blockID, ctx) {
  const send = async (value, ctl) => {
    if (e.confirm && !(await confirmDialog(e.confirm))) return;
    const body = { user: S.me, block_id: blockID, action_id: e.action_id, value };
    if (ctx.kind === "view") body.view_id = ctx.viewID; else { body.channel = ctx.channel; body.ts = ctx.ts; }
    ctl.disabled = true;
    try { await api("POST", "/api/choose", body); } catch (err) { toast("Choice failed: " + err.message, true); } finally { ctl.disabled = false; }
  };
  const attrs = { class: "bk-chooser", "data-action": e.action_id, "data-block": blockID, "data-type": e.type };
  const ph = plain(e.placeholder);
  let ctl;
  switch (e.type) {
    case "static_select":
    case "external_select":
    case "overflow": {
      ctl = el("select", attrs, el("option", { value: "" }, e.type === "overflow" ? "⋯" : (ph || "Select an option")),
        options(e).map((o) => el("option", { value: o.value }, plain(o.text))));
      if (e.initial_option) ctl.value = e.initial_option.value;
      ctl.addEventListener("change", () => { if (ctl.value) send(ctl.value, ctl); if (e.type === "overflow") ctl.value = ""; });
      return ctl;
    }
    case "users_select":
    case "conversations_select":
    case "channels_select": {
      const users = e.type === "users_select";
      ctl = el("select", attrs, el("option", { value: "" }, ph || (users ? "Select a person" : "Select a channel")),
        users ? S.state.people.map((p) => el("option", { value: p.id }, p.real_name))
          : S.state.channels.map((c) => el("option", { value: c.id }, "#" + c.name)));
      ctl.value = e.initial_user || e.initial_conversation || e.initial_channel || "";
      ctl.addEventListener("change", () => { if (ctl.value) send(ctl.value, ctl); });
      return ctl;
    }
    case "datepicker":
    case "timepicker":
      ctl = el("input", Object.assign({ type: e.type === "datepicker" ? "date" : "time" }, attrs));
      ctl.value = e.initial_date || e.initial_time || "";
      ctl.addEventListener("change", () => { if (ctl.value) send(ctl.value, ctl); });
      return ctl;
    case "checkboxes":
    case "radio_buttons": {
      const radio = e.type === "radio_buttons";
      const name = "c-" + blockID + "-" + e.action_id + "-" + (ctx.ts || ctx.viewID);
      const init = radio ? [e.initial_option && e.initial_option.value] : (e.initial_options || []).map((o) => o.value);
      ctl = el("div", attrs, options(e).map((o) => el("label", { class: "choice" },
        el("input", { type: radio ? "radio" : "checkbox", name, value: o.value, checked: init.includes(o.value) }),
        el("span", { html: textHTML(o.text) }))));
      ctl.addEventListener("change", () => {
        const picked = [...ctl.querySelectorAll("input:checked")].map((i) => i.value);
        send(radio ? picked[0] : picked, ctl);
      });
      return ctl;
    }
    default: {
      const label = ph || (e.initial_option ? plain(e.initial_option.text) : e.type);
      return el("button", { type: "button", class: "bk-button", disabled: true, title: e.type + " (not interactive in the sandbox)" }, label + " ▾");
    }
  }
}

async function clickButton(btn, e, blockID, ctx) {
  if (e.confirm && !(await confirmDialog(e.confirm))) return;
  if (e.url && safeURL(e.url)) window.open(e.url, "_blank", "noopener");
  btn.disabled = true;
  const body = { user: S.me, block_id: blockID, action_id: e.action_id };
  if (ctx.kind === "view") body.view_id = ctx.viewID; else { body.channel = ctx.channel; body.ts = ctx.ts; }
  try {
    await api("POST", "/api/click", body);
  } catch (err) {
    toast("Click failed: " + err.message, true);
  } finally {
    btn.disabled = false;
  }
}

// confirmDialog shows a confirm object (title, text, confirm, deny, style) and resolves true
// when confirmed. Its OK button is Slack's red for style "danger", green otherwise.
function confirmDialog(c) {
  if (S.confirmDone) S.confirmDone(false);
  return new Promise((resolve) => {
    const back = $("#confirm-backdrop");
    const opener = document.activeElement;
    $("#confirm-title").textContent = plain(c.title) || "Are you sure?";
    $("#confirm-text").innerHTML = textHTML(c.text);
    $("#confirm-ok").textContent = plain(c.confirm) || "Yes";
    $("#confirm-deny").textContent = plain(c.deny) || "Cancel";
    $("#confirm-ok").className = c.style === "danger" ? "danger" : "primary";
    const done = (v) => {
      S.confirmDone = null;
      back.hidden = true;
      $("#confirm-ok").onclick = $("#confirm-deny").onclick = null;
      if (opener && opener.isConnected) opener.focus();
      resolve(v);
    };
    S.confirmDone = done;
    $("#confirm-ok").onclick = () => done(true);
    $("#confirm-deny").onclick = () => done(false);
    back.hidden = false;
    $("#confirm-deny").focus();
  });
}

// ---- inputs (modals) ------------------------------------------------------------------------

function options(e) {
  if (e.options) return e.options;
  return (e.option_groups || []).flatMap((g) => g.options || []);
}

function renderInput(b, ctx) {
  const e = b.element || {};
  const id = "in-" + b.block_id + "-" + e.action_id;
  const wrap = el("div", { class: "bk-input", "data-block": b.block_id, "data-action": e.action_id, "data-type": e.type, "data-optional": b.optional ? "1" : "" });
  wrap.append(el("label", { class: "lbl", for: id }, plain(b.label), b.optional ? el("span", { class: "opt" }, " (optional)") : null));
  let control;
  const ph = plain(e.placeholder);
  switch (e.type) {
    case "plain_text_input":
    case "email_text_input":
    case "url_text_input":
      control = e.multiline
        ? el("textarea", { id, placeholder: ph, maxlength: e.max_length })
        : el("input", { id, type: "text", placeholder: ph, maxlength: e.max_length });
      control.value = e.initial_value || "";
      break;
    case "number_input":
      control = el("input", { id, type: "number", step: e.is_decimal_allowed ? "any" : "1", min: e.min_value, max: e.max_value, placeholder: ph });
      control.value = e.initial_value || "";
      break;
    case "datepicker":
      control = el("input", { id, type: "date" });
      control.value = e.initial_date || "";
      break;
    case "timepicker":
      control = el("input", { id, type: "time" });
      control.value = e.initial_time || "";
      break;
    case "static_select":
    case "external_select": {
      control = el("select", { id }, el("option", { value: "" }, ph || "Select an option"));
      const groups = e.option_groups;
      const add = (parent, o) => parent.append(el("option", { value: o.value }, plain(o.text)));
      if (groups) for (const g of groups) { const og = el("optgroup", { label: plain(g.label) }); (g.options || []).forEach((o) => add(og, o)); control.append(og); }
      else (e.options || []).forEach((o) => add(control, o));
      control.value = e.initial_option ? e.initial_option.value : "";
      break;
    }
    case "users_select":
    case "multi_users_select": {
      const multi = e.type === "multi_users_select";
      control = el("select", { id, multiple: multi }, multi ? null : el("option", { value: "" }, ph || "Select a person"),
        S.state.people.map((p) => el("option", { value: p.id }, `${p.real_name} (@${p.name})`)));
      const init = multi ? (e.initial_users || []) : [e.initial_user || ""];
      for (const o of control.options) o.selected = init.includes(o.value);
      break;
    }
    case "conversations_select":
    case "channels_select":
      control = el("select", { id }, el("option", { value: "" }, ph || "Select a channel"), S.state.channels.map((c) => el("option", { value: c.id }, "#" + c.name)));
      control.value = e.initial_conversation || e.initial_channel || "";
      break;
    case "checkboxes":
    case "multi_static_select": // a short list reads better as checkboxes than as a multiple select
    case "radio_buttons": {
      const radio = e.type === "radio_buttons";
      const init = radio ? [e.initial_option && e.initial_option.value] : (e.initial_options || []).map((o) => o.value);
      control = el("div", { id, class: "choices" + (e.type === "multi_static_select" ? " multi" : "") }, options(e).map((o) => el("label", { class: "choice" },
        el("input", { type: radio ? "radio" : "checkbox", name: id, value: o.value, checked: init.includes(o.value) }),
        el("span", {}, el("span", { html: textHTML(o.text) }), o.description ? el("div", { class: "desc", html: textHTML(o.description) }) : null))));
      break;
    }
    default:
      control = el("div", { class: "bk-unknown" }, `[${e.type} input]`);
  }
  wrap.append(control);
  if (b.hint) wrap.append(el("div", { class: "hint", html: textHTML(b.hint) }));
  const err = ctx.errors && ctx.errors[b.block_id];
  if (err) { wrap.classList.add("invalid"); wrap.append(el("div", { class: "err" }, err)); }
  return wrap;
}

// collectValues reads the modal's inputs in the emulator's Values shape; it returns the
// client-side errors of required inputs left empty, as Slack's client does.
function collectValues(root) {
  const values = {}, errors = {};
  for (const w of root.querySelectorAll(".bk-input")) {
    const block = w.dataset.block, action = w.dataset.action, type = w.dataset.type;
    let v;
    if (type === "checkboxes" || type === "multi_static_select") v = [...w.querySelectorAll("input:checked")].map((i) => i.value);
    else if (type === "radio_buttons") { const c = w.querySelector("input:checked"); v = c ? c.value : ""; }
    else if (type.startsWith("multi_")) v = [...w.querySelector("select").selectedOptions].map((o) => o.value);
    else { const c = w.querySelector("input, textarea, select"); if (!c) continue; v = c.value; }
    const empty = Array.isArray(v) ? v.length === 0 : String(v).trim() === "";
    if (empty && !w.dataset.optional) { errors[block] = "Please complete this required field."; continue; }
    if (empty && !Array.isArray(v) && type !== "plain_text_input") continue;
    (values[block] = values[block] || {})[action] = v;
  }
  return { values, errors };
}

// ---- modal ----------------------------------------------------------------------------------

// newer reports whether view v may replace cur: another view, or the same one at a version
// at least as high (a copy fetched before an update may arrive after it).
function newer(cur, v) {
  return !cur || cur.id !== v.id || (v.version || 0) >= (cur.version || 0);
}

// showModal shows view v (a re-render of the open one keeps what was typed in each input, as
// Slack does for inputs whose block_id and action_id stay the same).
function showModal(v, errors) {
  if (!newer(S.modal, v)) return;
  const same = S.modal && S.modal.id === v.id && !$("#modal-backdrop").hidden;
  const typed = same ? snapshotInputs() : null;
  if (!same && $("#modal-backdrop").hidden) S.modalOpener = document.activeElement;
  S.modal = v;
  const obj = v.view || {};
  $("#modal-title").textContent = plain(obj.title) || v.title || "";
  $("#modal-submit").textContent = plain(obj.submit) || "Submit";
  $("#modal-submit").hidden = !obj.submit && !(obj.blocks || []).some((b) => b.type === "input");
  $("#modal-close").textContent = plain(obj.close) || "Cancel";
  const body = $("#modal-body");
  body.replaceChildren(renderBlocks(obj.blocks || [], { kind: "view", viewID: v.id, errors: errors || {} }));
  $("#modal-backdrop").hidden = false;
  $("#modal").dataset.view = v.id;
  $("#modal").dataset.callback = obj.callback_id || "";
  if (typed) restoreInputs(typed);
  const first = body.querySelector("input, textarea, select");
  if (errors) { const bad = body.querySelector(".bk-input.invalid input, .bk-input.invalid textarea, .bk-input.invalid select"); if (bad) bad.focus(); }
  else if (!same) (first || $("#modal-x")).focus();
}

function hideModal(id) {
  if (id && S.modal && S.modal.id !== id) return;
  const was = !$("#modal-backdrop").hidden;
  S.modal = null;
  $("#modal-backdrop").hidden = true;
  if (was && S.modalOpener && S.modalOpener.isConnected) S.modalOpener.focus();
  S.modalOpener = null;
}

async function submitModal(ev) {
  ev.preventDefault();
  const v = S.modal;
  if (!v) return;
  const { values, errors } = collectValues($("#modal-body"));
  if (Object.keys(errors).length) { showModal(v, errors); return; } // keeps what was typed
  $("#modal-submit").disabled = true;
  try {
    const r = await api("POST", "/api/submit", { user: S.me, view_id: v.id, values });
    if (r.response_action === "errors" && r.errors) {
      const cur = S.modal && S.modal.id === v.id ? S.modal : v;
      showModal(cur, r.errors); // keeps what was typed
    }
  } catch (err) {
    toast("Submit failed: " + err.message, true);
  } finally {
    $("#modal-submit").disabled = false;
  }
}

// snapshotInputs records what is typed or chosen in each input block of the modal, by
// block_id and action_id.
function snapshotInputs() {
  const snap = {};
  for (const w of $("#modal-body").querySelectorAll(".bk-input")) {
    const key = w.dataset.block + "|" + w.dataset.action;
    const boxes = [...w.querySelectorAll("input[type=checkbox], input[type=radio]")];
    if (boxes.length) { snap[key] = { checked: boxes.filter((b) => b.checked).map((b) => b.value) }; continue; }
    const c = w.querySelector("input, textarea, select");
    if (!c) continue;
    snap[key] = c.multiple ? { selected: [...c.selectedOptions].map((o) => o.value) } : { value: c.value };
  }
  return snap;
}

// restoreInputs puts a snapshot back into the inputs that have the same block_id and action_id.
function restoreInputs(snap) {
  for (const w of $("#modal-body").querySelectorAll(".bk-input")) {
    const s = snap[w.dataset.block + "|" + w.dataset.action];
    if (!s) continue;
    if (s.checked) { for (const b of w.querySelectorAll("input[type=checkbox], input[type=radio]")) b.checked = s.checked.includes(b.value); continue; }
    const c = w.querySelector("input, textarea, select");
    if (!c) continue;
    if (s.selected) { for (const o of c.options) o.selected = s.selected.includes(o.value); }
    else if (s.value !== undefined) c.value = s.value;
  }
}

async function closeModal() {
  const v = S.modal;
  if (!v) return;
  hideModal();
  try { await api("POST", "/api/close", { user: S.me, view_id: v.id }); } catch (err) { /* already closed */ }
}

// ---- messages -------------------------------------------------------------------------------

function convChannel() {
  return S.conv === "app" ? "D" + S.me : S.conv;
}

// botNow is the bot's clock now, as last told by the server.
function botNow() {
  const c = S.state.clock;
  return new Date(Date.now() + (c.offset_seconds || 0) * 1000);
}

function dayKey(d) {
  return d.toLocaleDateString("en-CA", { timeZone: S.state.timezone });
}

// clockOf writes d's time of day by the bot's clock, in the policy's zone, the way the bot
// writes times in its messages (dates.ClockText): a 12-hour clock, "1:05 PM", with the zone
// named ("1:05 PM CST") when zone is set.
function clockOf(d, zone) {
  const s = d.toLocaleTimeString("en-US", { hour: "numeric", minute: "2-digit", hour12: true, timeZone: S.state.timezone, timeZoneName: zone ? "short" : undefined });
  return s.replace(/[\u202f\u00a0]/g, " ");
}

// dayOf writes d's day in the policy's zone the way the bot does: "Fri Dec 18".
function dayOf(d) {
  return d.toLocaleDateString("en-US", { weekday: "short", month: "short", day: "numeric", timeZone: S.state.timezone }).replace(",", "");
}

// fmtTime writes when a message was posted, by the bot's clock and in the policy's zone
// (as the bot's history and cards count time): "1:05 PM", or "Fri Dec 14, 1:05 PM" on
// another day.
function fmtTime(m) {
  const d = m.at ? new Date(m.at) : new Date(parseFloat(m.ts) * 1000);
  if (dayKey(d) === dayKey(botNow())) return clockOf(d);
  return dayOf(d) + ", " + clockOf(d);
}

// fmtFull writes a moment in full, the zone named: "Fri Dec 18, 2026, 1:05 PM CST".
function fmtFull(d) {
  return dayOf(d) + ", " + d.toLocaleDateString("en-US", { year: "numeric", timeZone: S.state.timezone }) + ", " + clockOf(d, true);
}

function renderMessage(m) {
  const bot = m.user === S.state.bot.id;
  const name = bot ? "empowerbot" : userName(m.user);
  const node = el("div", { class: "msg" + (m.ephemeral ? " ephemeral" : ""), "data-ts": m.ts, "data-channel": m.channel });
  node.append(el("div", { class: "avatar" + (bot ? " bot" : "") }, bot ? "e" : name.slice(0, 1).toUpperCase()));
  const body = el("div", { class: "msg-body" });
  const at = m.at ? new Date(m.at) : new Date(parseFloat(m.ts) * 1000);
  body.append(el("div", { class: "msg-meta" }, el("b", {}, name), bot ? el("span", { class: "app-tag" }, "APP") : null,
    el("time", { datetime: at.toISOString(), title: fmtFull(at) + " (bot time)" }, fmtTime(m)), m.updated ? el("span", { class: "edited" }, " (edited)") : null));
  if (m.blocks && m.blocks.length) body.append(renderBlocks(m.blocks, { kind: "message", channel: m.channel, ts: m.ts }));
  else body.append(el("div", { class: "mrkdwn", html: mrkdwn(m.text) }));
  for (const f of m.files || []) body.append(renderFile(f));
  if (m.ephemeral) body.append(el("div", { class: "only-you" }, "Only visible to you"));
  else body.append(renderReactions(m));
  for (const fn of S.decorators) { try { fn(m, body); } catch (err) { console.error(err); } }
  node.append(body);
  return node;
}

// renderReactions shows a message's reactions and, on a person's message, a button that
// reacts with the policy's praise emoji as the current person (praise by reaction).
function renderReactions(m) {
  const bar = el("div", { class: "reactions" });
  const emoji = { clap: "\u{1F44F}" };
  for (const r of m.reactions || []) {
    const mine = r.users.includes(S.me);
    bar.append(el("button", { class: "reaction" + (mine ? " mine" : ""), "aria-pressed": String(mine),
      title: r.users.map(userName).join(", ") + " reacted with :" + r.name + ":",
      onclick: () => react(m, r.name) }, (emoji[r.name] || ":" + r.name + ":") + " " + r.users.length));
  }
  const name = S.state.reaction;
  if (name && m.user !== S.state.bot.id && !(m.reactions || []).some((r) => r.name === name)) {
    bar.append(el("button", { class: "reaction add", "data-react": name, "aria-label": "React with :" + name + ": (praises " + userName(m.user) + ")",
      title: "React with :" + name + ": (praises " + userName(m.user) + ")", onclick: () => react(m, name) }, (emoji[name] || ":" + name + ":")));
  }
  return bar;
}

async function react(m, name) {
  try { await api("POST", "/api/react", { user: S.me, channel: m.channel, ts: m.ts, name }); } catch (err) { toast(err.message, true); }
}

// keepAtBottom scrolls the conversation to its end once an image has loaded and grown it.
function keepAtBottom() {
  const box = $("#messages");
  box.scrollTop = box.scrollHeight;
}

// renderFile shows a file shared with a message: an image inline (a chart), anything else as a link.
function renderFile(f) {
  const title = f.title || f.name || f.id;
  const box = el("div", { class: "file", "data-file": f.id });
  box.append(el("div", { class: "file-title" }, title));
  if (/^image\//.test(f.mimetype || "")) {
    box.append(el("a", { href: f.url, target: "_blank", rel: "noopener" }, el("img", { src: f.url, alt: f.alt_text || title, onload: keepAtBottom })));
  } else {
    box.append(el("a", { href: f.url, download: f.name || "" }, `${f.name || f.id} (${f.size} bytes)`));
  }
  return box;
}

function renderMessages() {
  const box = $("#messages");
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 60;
  box.replaceChildren();
  if (!S.msgs.length) {
    box.append(el("div", { class: "empty" }, S.conv === "app"
      ? "Your DMs with empowerbot appear here. Try /empower help or /empower box."
      : "No messages yet. Try /empower discount 900 for ACME loyal customer #customer-first"));
  }
  for (const m of S.msgs) box.append(renderMessage(m));
  if (atBottom || true) box.scrollTop = box.scrollHeight;
}

// applyMessage puts a posted, edited or deleted message into the conversation shown.
function applyMessage(m) {
  const i = S.msgs.findIndex((x) => x.ts === m.ts && x.channel === m.channel);
  if (m.deleted) { if (i >= 0) S.msgs.splice(i, 1); }
  else if (i >= 0) S.msgs[i] = m;
  else { S.msgs.push(m); S.msgs.sort((a, b) => (a.ts.length - b.ts.length) || (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0)); }
}

// upsertMessage applies a message an event brought and shows it; a history fetch on its way
// for that conversation keeps it, to apply again over the (possibly older) history.
function upsertMessage(m) {
  for (const l of S.loads) if (l.channel === m.channel) l.early.push(m);
  applyMessage(m);
  renderMessages();
}

// loadMessages shows the current conversation's history. The server reads it when the
// request arrives; what the event stream brings before the answer is read here may be newer,
// so it is applied again on top, in the order it came (a praise post that arrived meanwhile
// stays on screen).
async function loadMessages() {
  const ch = convChannel(), me = S.me;
  const load = { channel: ch, early: [] };
  S.loads.push(load);
  let r;
  try {
    r = await api("GET", `/api/messages?user=${encodeURIComponent(S.me)}&channel=${encodeURIComponent(ch)}`);
  } finally {
    S.loads.splice(S.loads.indexOf(load), 1);
  }
  if (convChannel() !== ch || S.me !== me) return; // another conversation, or another person's view, since
  S.msgs = r.messages || [];
  for (const m of load.early) applyMessage(m);
  renderMessages();
}

// ---- home -----------------------------------------------------------------------------------

// setHome keeps v as the person's Home unless the one shown is newer (item 17: a copy
// fetched when a modal closed may arrive after the home_published of a later update).
function setHome(v) {
  if (!v || v.user && v.user !== S.me) return;
  if (!newer(S.home, v)) return;
  S.home = v;
  if (S.conv === "app" && S.tab === "home") renderHome();
}

function renderHome() {
  const box = $("#home");
  box.replaceChildren();
  if (!S.home) { box.append(el("div", { class: "empty" }, "Opening your Home tab…")); return; }
  box.append(renderBlocks((S.home.view && S.home.view.blocks) || [], { kind: "view", viewID: S.home.id }));
}

async function openHome() {
  S.home = null;
  renderHome();
  try {
    const r = await api("POST", "/api/home", { user: S.me });
    // A Home published meanwhile may have arrived by the event stream first: keep the newest.
    if (r.home) setHome(r.home);
    if (!S.home) S.home = { id: "", view: { blocks: [{ type: "section", text: { type: "mrkdwn", text: "_The bot has not published a Home tab for you yet._" } }] } };
    renderHome();
  } catch (err) {
    toast("Home: " + err.message, true);
  }
}

// ---- layout ---------------------------------------------------------------------------------

// mentionsOf is the red-badge count of one person: what waits for them (their DMs, the
// messages naming them), less the conversation they have open on the page.
function mentionsOf(id) {
  let n = 0;
  for (const [conv, u] of Object.entries(S.unread[id] || {})) {
    if (id === S.me && isOpen(conv)) continue;
    n += u.mentions || 0;
  }
  return n;
}

// isOpen reports whether the current person is reading conversation conv now.
function isOpen(conv) {
  return conv === S.conv && (conv !== "app" || S.tab === "messages");
}

function personLabel(p) {
  return p.real_name.split(" ")[0] + " · " + p.role;
}

function renderPeople() {
  const box = $("#people");
  box.querySelectorAll(".who").forEach((b) => b.remove());
  const sel = $("#people-select");
  sel.replaceChildren();
  for (const p of S.state.people) {
    const n = mentionsOf(p.id);
    const label = personLabel(p) + (n ? ` (${n})` : "");
    box.append(el("button", { type: "button", class: "who" + (p.id === S.me ? " active" : ""), "data-user": p.id, title: p.role,
      "aria-pressed": p.id === S.me ? "true" : "false", "aria-label": label, onclick: () => switchUser(p.id) },
      p.real_name.split(" ")[0], el("span", { class: "role" }, " · " + p.role), n ? el("span", { class: "count" }, String(n)) : null));
    sel.append(el("option", { value: p.id, selected: p.id === S.me }, label));
  }
  sel.value = S.me;
}

function renderSidebar() {
  const mine = S.unread[S.me] || {};
  const link = (key, label) => {
    const u = isOpen(key) ? null : mine[key];
    const n = u ? u.mentions : 0;
    const a = el("a", { href: "#" + encodeURIComponent(key), class: (S.conv === key ? "active" : "") + (u ? " unread" : ""), "data-conv": key,
      "aria-current": S.conv === key ? "page" : null,
      onclick: (ev) => { ev.preventDefault(); closeDrawer(); switchConv(key); } },
      el("span", {}, label), n ? el("span", { class: "badge", "aria-label": `${n} for you` }, String(n)) : null);
    return el("li", {}, a);
  };
  $("#channels").replaceChildren(...S.state.channels.map((c) => link(c.id, "# " + c.name)));
  $("#apps").replaceChildren(link("app", "● empowerbot"));
  renderJobs();
}

// renderJobs lists the scheduled jobs: what each does, when it runs and its next run in bot time.
function renderJobs() {
  $("#jobs").replaceChildren(...S.state.jobs.map((j) => el("li", { title: j.spec, "data-job-row": j.name },
    el("div", { class: "job-top" }, el("span", { class: "job-name" }, j.name),
      el("button", { type: "button", class: "small", "data-job": j.name, "aria-label": "Run " + j.name + " now", onclick: (ev) => runJob(j.name, ev.currentTarget) }, "Run now")),
    j.about ? el("div", { class: "job-about" }, j.about) : null,
    el("div", { class: "job-next" }, j.every, j.next ? el("span", {}, " · next ", el("b", {}, fmtWhen(new Date(j.next)))) : null))));
}

// fmtWhen writes a moment in bot time: "Mon Dec 7, 9:00 AM".
function fmtWhen(d) {
  return dayOf(d) + ", " + clockOf(d);
}

// renderUnread redraws what shows unread counts, and tells the server the open conversation
// is read.
function renderUnread() {
  const mine = S.unread[S.me] || {};
  const open = Object.keys(mine).find(isOpen);
  if (open) markRead(open);
  renderPeople();
  renderSidebar();
}

let readTimer = null;
function markRead(conv) {
  if (S.unread[S.me]) delete S.unread[S.me][conv];
  clearTimeout(readTimer);
  const me = S.me;
  readTimer = setTimeout(async () => {
    try {
      const r = await api("POST", "/api/read", { user: me, channel: conv === "app" ? "dm" : conv });
      S.unread = r.unread || {};
      if (S.unread[S.me]) for (const k of Object.keys(S.unread[S.me])) if (isOpen(k)) delete S.unread[S.me][k];
      renderPeople();
      renderSidebar();
    } catch (err) { /* the next event retries */ }
  }, 30);
}

function openDrawer() {
  document.body.classList.add("drawer");
  $("#menu").setAttribute("aria-expanded", "true");
  $("#drawer-backdrop").hidden = false;
  const a = $("#sidebar a.active") || $("#sidebar a");
  if (a) a.focus();
}

function closeDrawer() {
  if (!document.body.classList.contains("drawer")) return;
  document.body.classList.remove("drawer");
  $("#menu").setAttribute("aria-expanded", "false");
  $("#drawer-backdrop").hidden = true;
}

function renderHeader() {
  const isApp = S.conv === "app";
  const ch = S.state.channels.find((c) => c.id === S.conv);
  $("#conv-title").textContent = isApp ? "empowerbot" : "# " + (ch ? ch.name : S.conv);
  $("#tabs").hidden = !isApp;
  document.querySelectorAll(".tab").forEach((t) => {
    t.classList.toggle("active", t.dataset.tab === S.tab);
    t.setAttribute("aria-selected", t.dataset.tab === S.tab ? "true" : "false");
  });
  const home = isApp && S.tab === "home";
  $("#home").hidden = !home;
  $("#messages").hidden = home;
  $("#composer").hidden = home;
  const who = S.state.people.find((p) => p.id === S.me);
  const where = isApp ? "empowerbot" : "#" + (ch ? ch.name : "");
  // a phone's composer is narrow: the hint below it says how to type a command
  $("#composer-input").placeholder = matchMedia("(max-width: 700px)").matches ? `Message ${where}`
    : `Message ${where} as ${who ? who.real_name : S.me}, or type /empower …`;
}

// fmtOffset writes a clock offset in seconds as "3d", "1d 4h", "2h 30m".
function fmtOffset(sec) {
  const d = Math.floor(sec / 86400), h = Math.floor(sec % 86400 / 3600), m = Math.floor(sec % 3600 / 60);
  const parts = [];
  if (d) parts.push(d + "d");
  if (h) parts.push(h + "h");
  if (m || !parts.length) parts.push(m + "m");
  return parts.join(" ");
}

function renderClock(c) {
  S.state.clock = c;
  const d = new Date(c.now);
  const el2 = $("#clock-now");
  el2.textContent = "Bot clock: " + dayOf(d) + ", " + clockOf(d, true) +
    (c.offset_seconds ? ` (+${fmtOffset(c.offset_seconds)})` : "");
  el2.classList.toggle("moved", !!c.offset_seconds);
}

async function switchConv(key) {
  S.conv = key;
  if (key === "app" && S.tab === "home") openHome();
  renderUnread();
  renderHeader();
  S.msgs = [];
  renderMessages();
  await loadMessages();
}

// switchUser makes the page someone else's: their conversations, modal, Home and unread
// counts (every person keeps their own).
async function switchUser(id) {
  if (S.confirmDone) S.confirmDone(false);
  S.me = id;
  S.home = null;
  hideModal();
  localStorage.setItem("sandbox.me", id);
  document.body.dataset.ready = "";
  renderPeople();
  connect();
}

// loadViews shows the person's open modal and Home. A view event that arrives while the
// answer is on its way is newer than it, so the answer's modal is then left alone (a modal
// the bot opened meanwhile stays open).
async function loadViews() {
  const seen = S.viewEvents, me = S.me;
  const r = await api("GET", `/api/views?user=${encodeURIComponent(me)}`);
  if (S.me !== me) return; // the page is someone else's since
  if (S.viewEvents === seen) { if (r.modal) showModal(r.modal); else hideModal(); }
  if (r.home) setHome(r.home);
  else if (S.conv === "app" && S.tab === "home") renderHome();
}

// connect (re)opens the event stream for the current person, then reloads what they see.
function connect() {
  if (S.es) S.es.close();
  const es = new EventSource(`/api/events?user=${encodeURIComponent(S.me)}`);
  S.es = es;
  es.addEventListener("hello", async () => {
    if (S.es !== es) return;
    renderUnread();
    renderHeader();
    try { await loadMessages(); await loadViews(); } catch (err) { toast(err.message, true); }
    if (S.conv === "app" && S.tab === "home" && !S.home) openHome();
    document.body.dataset.ready = S.me;
    refreshTour();
  });
  es.onmessage = (ev) => { if (S.es === es) onEvent(JSON.parse(ev.data)); };
}

function onEvent(e) {
  if (e.kind !== "unread") refreshTour();
  switch (e.kind) {
    case "message_posted":
    case "message_updated":
    case "message_deleted":
    case "ephemeral": {
      const m = e.message;
      if (m.channel === convChannel()) upsertMessage(m);
      // unread counts come from the server ("unread" events), per person
      break;
    }
    case "view_opened":
    case "view_updated":
      if (e.view.type === "modal") S.viewEvents++;
      if (e.view.type === "modal" && e.view.open) showModal(e.view);
      break;
    case "view_closed":
      S.viewEvents++;
      // the view below it on the stack, if any, is on top again
      if (S.modal && S.modal.id === e.view.id) { hideModal(e.view.id); loadViews().catch(() => {}); }
      break;
    case "home_published":
      setHome(e.view);
      break;
    case "unread":
      S.unread = e.unread || {};
      renderUnread();
      break;
  }
}

async function send(ev) {
  ev.preventDefault();
  const input = $("#composer-input");
  const text = input.value.trim();
  if (!text) return;
  const channel = S.conv === "app" ? "dm" : S.conv;
  input.value = "";
  try {
    if (text.startsWith("/")) {
      const cmd = S.state.command;
      if (text !== cmd && !text.startsWith(cmd + " ")) {
        toast(`${text.split(/\s/)[0]} is not a command here: try ${cmd} help`, true);
        input.value = text;
        return;
      }
      await api("POST", "/api/command", { user: S.me, channel, text });
    } else {
      await api("POST", "/api/message", { user: S.me, channel, text });
    }
  } catch (err) {
    toast(err.message, true);
    input.value = text;
  }
}

async function runJob(name, btn) {
  btn.disabled = true;
  try {
    const r = await api("POST", "/api/jobs/run", { name });
    toast(`${name} ran (${r.duration_ms} ms)`);
    refreshState();
  } catch (err) {
    toast(err.message, true);
  } finally {
    btn.disabled = false;
  }
}

const SPANS = { "1h": "an hour", "1d": "a day", "3d": "3 days", "7d": "a week" };

// moveClock moves the bot's clock; with run_due, the jobs that came due meanwhile run, one
// after the other, and the note says which.
async function moveClock(body, btn) {
  if (btn) btn.disabled = true;
  try {
    const r = await api("POST", "/api/clock", body);
    renderClock(r.clock);
    const span = SPANS[body.advance] || body.advance;
    if (body.reset) toast("The bot's clock is back to now");
    else if (!body.run_due) toast(`The bot's clock moved ${span} ahead: "Advance & run what's due" also runs the jobs`);
    else {
      const ran = (r.ran || []).map((j) => j.name + (j.error ? " (failed: " + j.error + ")" : ""));
      toast(`Moved ${span} ahead. ` + (ran.length ? "Ran: " + ran.join(", ") : "Nothing was due."), (r.ran || []).some((j) => j.error));
    }
    await refreshState();
    renderMessages();
  } catch (err) {
    toast(err.message, true);
  } finally {
    if (btn) btn.disabled = false;
  }
}

// refreshState reloads the clock, the jobs' next runs and the unread counts.
async function refreshState() {
  try {
    const st = await api("GET", "/api/state");
    S.state.jobs = st.jobs;
    S.unread = st.unread || {};
    renderClock(st.clock);
    renderUnread();
  } catch (err) { /* server gone */ }
}

// ---- the guided tour -------------------------------------------------------------------------

let tourTimer = null;
// refreshTour reloads the tour's ticks soon (once for a burst of events).
function refreshTour() {
  if ($("#tour").hidden && S.tour) return;
  clearTimeout(tourTimer);
  tourTimer = setTimeout(async () => {
    try { S.tour = (await api("GET", "/api/tour")).steps || []; renderTour(); } catch (err) { /* try on the next event */ }
  }, 150);
}

function tourOpen(open, remember) {
  $("#tour").hidden = !open;
  $("#tour-open").setAttribute("aria-expanded", open ? "true" : "false");
  if (remember) localStorage.setItem("sandbox.tour", open ? "open" : "closed");
  if (open) refreshTour();
}

function renderTour() {
  const steps = S.tour || [];
  const done = steps.filter((s) => s.done).length;
  $("#tour-progress").textContent = `${done} of ${steps.length} done`;
  const current = steps.find((s) => !s.done);
  $("#tour-steps").replaceChildren(...steps.map((st, i) => {
    const cls = "step" + (st.done ? " done" : "") + (st.started ? " started" : "") + (st === current ? " current" : "");
    const state = st.done ? "✓ done" : st.started ? "in progress" : st === current ? "next" : "";
    const li = el("li", { class: cls, "data-step": st.id, "aria-current": st === current ? "step" : null },
      el("div", { class: "step-head" }, el("span", { class: "tick", "aria-hidden": "true" }, st.done ? "✓" : String(i + 1)),
        el("b", { class: "step-title" }, st.title), el("span", { class: "state" }, state)),
      el("p", {}, st.text),
      el("div", { class: "step-actions" },
        el("button", { type: "button", class: "take" + (st === current ? " primary" : ""), onclick: () => takeMeThere(st) }, "Take me there"),
        st.action ? el("button", { type: "button", class: "act", onclick: (ev) => stepAction(st, ev.currentTarget) }, st.action.label) : null));
    // a done step shows its text and buttons again when its title is clicked
    if (st.done) {
      if (S.tourOpened && S.tourOpened[st.id]) li.classList.add("open");
      li.querySelector(".step-head").addEventListener("click", () => {
        S.tourOpened = S.tourOpened || {};
        S.tourOpened[st.id] = li.classList.toggle("open");
      });
    }
    return li;
  }));
}

// takeMeThere switches to the step's person and conversation and puts its command in the
// composer, ready to send.
async function takeMeThere(st) {
  S.conv = st.conv;
  if (st.tab) S.tab = st.tab;
  if (window.matchMedia("(max-width: 700px)").matches) tourOpen(false, false);
  if (st.person !== S.me) {
    await new Promise((resolve) => {
      const obs = new MutationObserver(() => { if (document.body.dataset.ready === st.person) { obs.disconnect(); resolve(); } });
      obs.observe(document.body, { attributes: true, attributeFilter: ["data-ready"] });
      switchUser(st.person);
    });
  } else {
    await switchConv(st.conv);
  }
  if (S.conv === "app" && S.tab === "home") openHome();
  renderHeader();
  const input = $("#composer-input");
  if (st.composer) { input.value = st.composer; }
  if (!$("#composer").hidden) input.focus();
  document.body.dataset.there = st.id;
}

async function stepAction(st, btn) {
  const a = st.action;
  if (a.advance) await moveClock({ advance: a.advance, run_due: true }, btn);
  else if (a.job) await runJob(a.job, btn);
  refreshTour();
}

async function init() {
  S.state = await api("GET", "/api/state");
  // the banner (e.g. Redis in memory) can be hidden; it comes back when its words change
  if (S.state.banner && localStorage.getItem("sandbox.banner") !== S.state.banner) {
    $("#banner-text").textContent = "⚠️ " + S.state.banner;
    $("#banner").title = S.state.banner;
    $("#banner").hidden = false;
  }
  $("#banner-close").addEventListener("click", () => { localStorage.setItem("sandbox.banner", S.state.banner); $("#banner").hidden = true; });
  $("#policy").textContent = "Policy: " + S.state.policy;
  $("#hint").textContent = `Try: ${S.state.command} discount 900 for ACME loyal customer #customer-first · ${S.state.command} box · ${S.state.command} help`;
  renderClock(S.state.clock);
  S.unread = S.state.unread || {};
  const saved = localStorage.getItem("sandbox.me");
  S.me = S.state.people.some((p) => p.id === saved) ? saved : S.state.people[0].id;
  const first = S.state.channels.find((c) => c.purpose === "escalations") || S.state.channels[0];
  S.conv = first.id;
  renderPeople();
  $("#composer").addEventListener("submit", send);
  $("#modal").addEventListener("submit", submitModal);
  $("#modal-close").addEventListener("click", closeModal);
  $("#modal-x").addEventListener("click", closeModal);
  // each click counts (five clicks of +1h are five hours), so the buttons stay enabled
  document.querySelectorAll("[data-advance]").forEach((b) => b.addEventListener("click", () => moveClock({ advance: b.dataset.advance })));
  $("#clock-reset").addEventListener("click", () => moveClock({ reset: true }));
  $("#advance-run").addEventListener("click", (ev) => moveClock({ advance: $("#advance-by").value, run_due: true }, ev.currentTarget));
  $("#people-select").addEventListener("change", (ev) => switchUser(ev.target.value));
  $("#menu").addEventListener("click", () => document.body.classList.contains("drawer") ? closeDrawer() : openDrawer());
  $("#drawer-backdrop").addEventListener("click", closeDrawer);
  $("#tour-open").addEventListener("click", () => tourOpen($("#tour").hidden, true));
  $("#tour-close").addEventListener("click", () => { tourOpen(false, true); $("#tour-open").focus(); });
  document.addEventListener("keydown", onKey);
  new ResizeObserver(() => document.documentElement.style.setProperty("--top", $("#topbar").getBoundingClientRect().bottom + "px")).observe($("#topbar"));
  document.documentElement.style.setProperty("--top", $("#topbar").getBoundingClientRect().bottom + "px");
  tourOpen(localStorage.getItem("sandbox.tour") !== "closed", false);
  document.querySelectorAll(".tab").forEach((t) => t.addEventListener("click", () => {
    S.tab = t.dataset.tab;
    renderHeader();
    if (S.tab === "home") openHome();
  }));
  S.unread = S.state.unread || {};
  connect();
  setInterval(refreshState, 30000);
}

// onKey: Esc closes the confirm dialog, else the modal (as Cancel), else the drawer, else the
// tour sheet on a phone.
function onKey(ev) {
  if (ev.key !== "Escape") return;
  if (!$("#confirm-backdrop").hidden && S.confirmDone) { ev.preventDefault(); S.confirmDone(false); return; }
  if (!$("#modal-backdrop").hidden) { ev.preventDefault(); closeModal(); return; }
  if (document.body.classList.contains("drawer")) { ev.preventDefault(); closeDrawer(); $("#menu").focus(); return; }
  if (!$("#tour").hidden && window.matchMedia("(max-width: 700px)").matches) { ev.preventDefault(); tourOpen(false, true); $("#tour-open").focus(); }
}

init().catch((err) => toast("The sandbox did not start: " + err.message, true));
