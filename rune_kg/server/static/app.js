// The search page: /api/search for questions and formulas, /sparql for the editor.
"use strict";

const $ = (selector) => document.querySelector(selector);

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function showError(message, suggestions = []) {
  $("#error").textContent = message;
  if (suggestions.length) {
    const list = element("span", " Try: ", "suggestions");
    suggestions.forEach((question, i) => {
      const link = element("a", question);
      link.href = "#";
      link.addEventListener("click", (event) => {
        event.preventDefault();
        $("#q").value = question;
        document.querySelector("input[name=kind][value=q]").checked = true;
        $("#search").requestSubmit();
      });
      list.append(...(i ? [", ", link] : [link]));
    });
    $("#error").append(list);
  }
  $("#error").hidden = false;
}

function renderLogic(data) {
  $("#fol").textContent = data.fol;
  const list = $("#clauses");
  list.replaceChildren();
  for (const clause of data.clauses) {
    const item = element("li");
    item.append(element("code", clause.formula));
    const sparql = element("details");
    sparql.append(element("summary", "SPARQL"), element("pre", clause.sparql));
    item.append(sparql);
    list.append(item);
  }
}

function renderCard(result) {
  const card = $("#card").content.firstElementChild.cloneNode(true);
  if (result.explain) {
    card.querySelector("img").src = `${result.explain}&size=640`;
    card.querySelector("img").alt = `${result.image} with the objects that match`;
    card.querySelector("a.picture").href = result.explain;
  } else {
    card.querySelector("a.picture").replaceWith(element("p", "no picture file for this image", "no-picture"));
  }
  card.querySelector("a.image").textContent = result.image;
  card.querySelector("a.image").href = result.href;
  card.querySelector(".score").textContent = `score ${result.score.toFixed(3)}`;
  if (result.places && result.places.length) {
    const places = card.querySelector(".places");
    places.append("in ");
    result.places.forEach((place, k) => {
      const link = element("a", place.name);
      link.href = place.iri;
      places.append(...(k ? [", ", link] : [link]));
    });
    places.hidden = false;
  }
  for (const w of result.witness) {
    const item = element("li");
    const link = element("a", `${w.variable}: ${w.class_name}`);
    link.href = w.href;
    item.append(link, ` ${w.confidence.toFixed(2)}`);
    card.querySelector(".witness").append(item);
  }
  for (const fact of result.facts) {
    card.querySelector(".facts").append(element("li", `${fact.predicate}(${fact.args.join(", ")})`));
  }
  for (const condition of result.conditions) {
    card.querySelector(".facts").append(element("li", condition));
  }
  return card;
}

async function search(event) {
  event.preventDefault();
  $("#error").hidden = true;
  const kind = document.querySelector("input[name=kind]:checked").value;
  const params = new URLSearchParams({ [kind]: $("#q").value, mode: $("#mode").value });
  $("#status").textContent = "searching…";
  $("#answer").hidden = false;
  const response = await fetch(`/api/search?${params}`);
  const data = await response.json();
  if (!response.ok) {
    $("#answer").hidden = true;
    const unknown = data.unknown && data.unknown.length ? ` (not understood: ${data.unknown.join(", ")})` : "";
    showError(`${data.error}${unknown}`, data.suggestions || []);
    return;
  }
  const byLlm = data.translator && data.translator !== "embedded"
    ? ` (written by ${data.translator}: check that it says what you asked)` : "";
  const translated = data.question ? `“${data.question}” → ` : "";
  $("#status").textContent = `${translated}${data.fol}${byLlm}: ${data.matched} images match ` +
    `(${data.mode}, ${data.timing_ms.request.toFixed(0)} ms)` +
    (data.matched > data.results.length ? `, the first ${data.results.length} shown` : "") +
    (data.contradiction ? `. No image can match: ${data.contradiction}` : "");
  renderLogic(data);
  $("#results").replaceChildren(...data.results.map(renderCard));
}

function renderTable(json) {
  if ("boolean" in json) return element("p", `ASK: ${json.boolean}`);
  const table = element("table", undefined, "facts");
  const head = element("tr");
  for (const name of json.head.vars) head.append(element("th", name));
  table.append(head);
  for (const binding of json.results.bindings) {
    const row = element("tr");
    for (const name of json.head.vars) row.append(element("td", binding[name] ? binding[name].value : ""));
    table.append(row);
  }
  return table;
}

async function runSparql() {
  $("#sparql-status").textContent = "running…";
  const started = performance.now();
  const response = await fetch("/sparql", {
    method: "POST",
    headers: { "Content-Type": "application/sparql-query",
               "Accept": "application/sparql-results+json, text/turtle;q=0.9" },
    body: $("#sparql").value,
  });
  const text = await response.text();
  const ms = (performance.now() - started).toFixed(0);
  if (!response.ok) {
    $("#sparql-status").textContent = `error ${response.status}: ${text}`;
    $("#sparql-results").replaceChildren();
    return;
  }
  const type = response.headers.get("Content-Type") || "";
  const shown = type.includes("json") ? renderTable(JSON.parse(text)) : element("pre", text);
  const rows = shown.tagName === "TABLE" ? `${shown.rows.length - 1} rows, ` : "";
  $("#sparql-status").textContent = `${rows}${ms} ms`;
  $("#sparql-results").replaceChildren(shown);
}

$("#search").addEventListener("submit", search);
$("#run-sparql").addEventListener("click", runSparql);
for (const link of document.querySelectorAll("[data-example]")) {
  link.addEventListener("click", (event) => {
    event.preventDefault();
    document.querySelector("input[name=kind][value=q]").checked = true;
    $("#q").value = link.dataset.example;
    $("#search").requestSubmit();
  });
}
