// The page of `mf serve`. Everything from the input or the report is put in the page as text
// (textContent, attributes), never as HTML.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const MAX_UPLOAD = Number(document.body.dataset.maxUpload) || 0;
  const SHOW_LIMIT = 2 * 1024 * 1024; // longest input shown with its runs highlighted
  let chosen = null; // the File to decode instead of the text

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function megabytes(n) {
    return `${(n / (1024 * 1024)).toFixed(n < 1024 * 1024 ? 2 : 0)} MB`;
  }

  function clock(seconds) {
    const m = Math.floor(seconds / 60);
    const s = (seconds - m * 60).toFixed(1).padStart(4, "0");
    return `${m}:${s}`;
  }

  function setStatus(text, kind) {
    const node = $("status");
    node.textContent = text;
    node.className = kind || "";
    document.body.dataset.state = kind || "idle";
  }

  function choose(file) {
    chosen = file;
    $("file-name").textContent = file ? `${file.name} (${megabytes(file.size)})` : "";
    $("clear-file").hidden = !file;
    $("input").disabled = Boolean(file);
    if (!file) $("file").value = "";
  }

  async function shownText(file) {
    // The file's text for the highlighted view, when it is text and not too long.
    if (file.size > SHOW_LIMIT) return null;
    const bytes = new Uint8Array(await file.arrayBuffer());
    if (bytes.subarray(0, 4096).includes(0)) return null;
    return new TextDecoder().decode(bytes);
  }

  async function submit(event) {
    event.preventDefault();
    let body;
    let type;
    let text = null;
    let query = "";
    if (chosen) {
      body = chosen;
      type = "application/octet-stream";
      query = `?name=${encodeURIComponent(chosen.name)}`;
      text = await shownText(chosen);
    } else {
      text = $("input").value;
      if (!text.trim()) {
        setStatus("Paste some text or choose a file first.", "error");
        return;
      }
      body = text;
      type = "text/plain; charset=utf-8";
    }
    const size = body instanceof Blob ? body.size : new Blob([body]).size;
    if (MAX_UPLOAD && size > MAX_UPLOAD) {
      setStatus(
        `This is ${megabytes(size)}, over this server's limit of ${megabytes(MAX_UPLOAD)}. ` +
          "Use `mf decode FILE` on the command line for big files.",
        "error",
      );
      return;
    }
    setStatus("Decoding…", "busy");
    $("decode").disabled = true;
    try {
      const response = await fetch(`/api/decode${query}`, {
        method: "POST",
        headers: { "Content-Type": type },
        body,
      });
      let doc;
      try {
        doc = await response.json();
      } catch (_) {
        doc = { error: `the server answered ${response.status} ${response.statusText}` };
      }
      if (!response.ok) {
        setStatus(doc.error || `the server answered ${response.status}`, "error");
        return;
      }
      show(doc, text);
      setStatus(`Done: ${doc.verdict || "nothing found"}.`, "done");
    } catch (err) {
      setStatus(`Could not reach the server (${err.message}).`, "error");
    } finally {
      $("decode").disabled = false;
    }
  }

  // --- the results ----------------------------------------------------------------------

  function show(doc, text) {
    $("results").hidden = false;
    $("verdict").textContent = doc.verdict || "Nothing found";
    $("report-link").href = doc.report_url;
    showPieces(doc);
    showList("problems", doc.problems, (p) => `${p.where}: ${p.message}`);
    showOthers(doc.artifacts.filter((a) => a.piece === null || a.piece === undefined));
    showPayloads(doc);
    showSource(doc, text);
  }

  function showList(id, items, line) {
    const list = $(id);
    clear(list);
    for (const item of items) list.appendChild(el("li", "", line(item)));
    $(`${id}-section`).hidden = items.length === 0;
  }

  function pieces(artifacts) {
    const byPiece = new Map();
    for (const a of artifacts) {
      if (a.piece === null || a.piece === undefined) continue;
      if (!byPiece.has(a.piece)) byPiece.set(a.piece, []);
      byPiece.get(a.piece).push(a);
    }
    return [...byPiece.entries()].sort((x, y) => x[0] - y[0]);
  }

  function showPieces(doc) {
    const box = $("pieces");
    clear(box);
    for (const [number, arts] of pieces(doc.artifacts)) box.appendChild(piece(number, arts));
  }

  function piece(number, arts) {
    const midi = arts.find((a) => a.kind === "midi");
    const main = midi || arts[0];
    const notes = Math.max(...arts.map((a) => a.notes));
    const verdict = main.verdict || "unknown";
    const node = el("article", `piece verdict-${verdict}`);
    node.id = `piece-${number}`;
    node.dataset.piece = String(number);
    node.dataset.notes = String(notes);
    node.dataset.verdict = verdict;
    node.dataset.source = main.source;

    const head = el("header", "piece-head");
    head.appendChild(el("h3", "", `Piece ${number}`));
    head.appendChild(el("span", `badge verdict-${verdict}`, verdict));
    head.appendChild(el("span", "confidence", `confidence ${Math.round(main.confidence * 100)}%`));
    node.appendChild(head);
    node.appendChild(facts(main, notes));
    if (main.as_found) node.appendChild(el("p", "as-found", main.as_found));
    if (midi) node.appendChild(media(midi, number));
    node.appendChild(downloads(arts));
    node.appendChild(repairs(arts));
    return node;
  }

  function facts(a, notes) {
    const dl = el("dl", "facts");
    const add = (term, value) => {
      dl.appendChild(el("dt", "", term));
      dl.appendChild(el("dd", "", value));
    };
    add("Notes", notes);
    add("Length", clock(a.seconds || 0));
    add("Tempo", a.tempo_bpm ? `${Math.round(a.tempo_bpm)} bpm` : "none given");
    add("Tracks", a.tracks);
    add("Found at", a.source);
    return dl;
  }

  function media(midi, number) {
    const box = el("div", "media");
    if (midi.audio_url) {
      const audio = el("audio", "player");
      audio.controls = true;
      audio.preload = "auto";
      audio.src = midi.audio_url;
      box.appendChild(audio);
    } else if (midi.audio_note) {
      box.appendChild(el("p", "note", midi.audio_note));
    }
    if (midi.picture_url) {
      const img = el("img", "roll");
      img.src = midi.picture_url;
      img.alt = `Piano roll of piece ${number}`;
      box.appendChild(img);
    } else if (midi.picture_note) {
      box.appendChild(el("p", "note", midi.picture_note));
    }
    return box;
  }

  function downloads(arts) {
    const p = el("p", "downloads");
    p.appendChild(el("span", "", "Download: "));
    for (const a of arts) {
      if (!a.url) continue;
      const link = el("a", `download kind-${a.kind}`, a.path);
      link.href = a.url;
      link.download = a.path;
      p.appendChild(link);
    }
    return p;
  }

  function repairs(arts) {
    const seen = new Set();
    const all = [];
    for (const a of arts) {
      for (const r of a.repairs) {
        const key = JSON.stringify(r);
        if (!seen.has(key)) {
          seen.add(key);
          all.push(r);
        }
      }
    }
    const lost = all.filter((r) => r.loss === "lost").length;
    const guessed = all.filter((r) => r.loss === "guessed").length;
    const box = el("details", "repairs");
    let title = all.length === 1 ? "1 repair" : `${all.length} repairs`;
    if (lost || guessed) title += ` (${lost} lost, ${guessed} guessed)`;
    box.appendChild(el("summary", "", all.length ? title : "No repairs: as found"));
    if (all.length) box.appendChild(repairTable(all));
    return box;
  }

  function repairTable(all) {
    const table = el("table", "repair-table");
    const head = el("tr");
    for (const h of ["Where", "What", "Before → after", "Why"]) head.appendChild(el("th", "", h));
    table.appendChild(head);
    for (const r of all) {
      const row = el("tr", r.loss ? `loss-${r.loss}` : "");
      row.appendChild(el("td", "where", r.where));
      const what = el("td", "", r.kind);
      if (r.loss) what.appendChild(el("span", `loss loss-${r.loss}`, r.loss));
      row.appendChild(what);
      const change = el("td", "change");
      change.appendChild(el("code", "", r.before));
      change.appendChild(el("span", "arrow", " → "));
      change.appendChild(el("code", "", r.after));
      row.appendChild(change);
      row.appendChild(el("td", "", r.reason));
      table.appendChild(row);
    }
    return table;
  }

  function showOthers(arts) {
    const list = $("others");
    clear(list);
    for (const a of arts) {
      const li = el("li");
      if (a.url) {
        const link = el("a", "", a.path);
        link.href = a.url;
        link.download = a.path;
        li.appendChild(link);
      } else {
        li.appendChild(el("span", "", a.path));
      }
      li.appendChild(el("span", "muted", ` ${a.kind}, from ${a.source}`));
      list.appendChild(li);
    }
    $("others-section").hidden = arts.length === 0;
  }

  function showPayloads(doc) {
    const list = $("payloads");
    clear(list);
    for (const b of doc.blobs) {
      const li = el("li");
      li.id = `blob-${b.id}`;
      li.dataset.where = b.span.where;
      const segs = doc.segments.filter((s) => s.blob === b.id).map((s) => s.kind);
      li.appendChild(el("strong", "", `${b.id}: ${b.span.encoding} at ${b.span.where}`));
      li.appendChild(el("span", "muted", `, ${b.size} bytes: ${segs.join(", ") || "nothing"}`));
      if (b.lost.length) li.appendChild(el("span", "loss loss-lost", `${b.lost.length} lost`));
      if (b.repairs.length) li.appendChild(repairTable(b.repairs));
      list.appendChild(li);
    }
    $("payloads-section").hidden = doc.blobs.length === 0;
  }

  function showSource(doc, text) {
    const pre = $("source");
    clear(pre);
    if (text === null || text === undefined || text.length > SHOW_LIMIT) {
      $("source-section").hidden = true;
      return;
    }
    const chars = Array.from(text); // offsets in the report count code points
    const spans = doc.spans
      .filter((s) => s.origin === "" && s.end <= chars.length && s.start < s.end)
      .sort((a, b) => a.start - b.start);
    let at = 0;
    for (const s of spans) {
      if (s.start < at) continue;
      pre.appendChild(document.createTextNode(chars.slice(at, s.start).join("")));
      const mark = el("mark", `found enc-${s.encoding}`, chars.slice(s.start, s.end).join(""));
      mark.dataset.where = s.where;
      mark.title = `${s.where} ${s.encoding}: click to see what came of it`;
      mark.tabIndex = 0;
      mark.addEventListener("click", () => reveal(s.where));
      mark.addEventListener("keydown", (e) => e.key === "Enter" && reveal(s.where));
      pre.appendChild(mark);
      at = s.end;
    }
    pre.appendChild(document.createTextNode(chars.slice(at).join("")));
    $("source-section").hidden = false;
  }

  function reveal(where) {
    const from = (source) => source === where || source.startsWith(`${where} `);
    const target =
      [...document.querySelectorAll(".piece")].find((p) => from(p.dataset.source)) ||
      [...document.querySelectorAll("#payloads > li")].find((li) => li.dataset.where === where);
    if (!target) return;
    target.scrollIntoView({ behavior: "smooth", block: "start" });
    const details = target.querySelector("details");
    if (details) details.open = true;
    target.classList.remove("flash");
    void target.offsetWidth; // restart the animation
    target.classList.add("flash");
  }

  // --- wiring ---------------------------------------------------------------------------

  function wire() {
    $("form").addEventListener("submit", submit);
    $("file").addEventListener("change", (e) => choose(e.target.files[0] || null));
    $("clear-file").addEventListener("click", () => choose(null));
    for (const target of [$("drop"), $("input")]) {
      target.addEventListener("dragover", (e) => {
        if (e.dataTransfer && [...e.dataTransfer.types].includes("Files")) {
          e.preventDefault();
          $("drop").classList.add("over");
        }
      });
      target.addEventListener("dragleave", () => $("drop").classList.remove("over"));
      target.addEventListener("drop", (e) => {
        $("drop").classList.remove("over");
        if (e.dataTransfer && e.dataTransfer.files.length) {
          e.preventDefault();
          choose(e.dataTransfer.files[0]);
        }
      });
    }
  }

  wire();
})();
