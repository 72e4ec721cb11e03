// Drives a running LRS with unmodified xAPI client libraries, as a course or an LMS would:
// @xapi/xapi (under 1.0.3 and 2.0.0, over both of its HTTP adapters) and TinCanJS (1.0.2, the
// newest version it knows). Exits 1 naming the failed step, with the request and the LRS's answer.
//
//   node check.mjs [ENDPOINT KEY SECRET]     (or LRS_ENDPOINT, LRS_KEY, LRS_SECRET)
//
// Every run uses a fresh registration, activity and agents, so it can run against an LRS that
// holds other data, and more than once.
import { randomUUID } from "node:crypto";
import { isDeepStrictEqual, inspect } from "node:util";
import XAPI from "@xapi/xapi";
import TinCan from "tincanjs";

const [endpoint, key, secret] = process.argv.length >= 5
  ? process.argv.slice(2, 5)
  : [process.env.LRS_ENDPOINT, process.env.LRS_KEY, process.env.LRS_SECRET];
if (!endpoint || !key || !secret) {
  console.error("usage: node check.mjs ENDPOINT KEY SECRET, or set LRS_ENDPOINT, LRS_KEY and LRS_SECRET\n" +
    "  e.g. node check.mjs http://localhost:8080/xapi KEY SECRET");
  process.exit(2);
}

const PAGE = 10;
const BATCH = 25;

class CheckError extends Error {}

function check(cond, msg) {
  if (!cond) throw new CheckError(msg);
}

function checkEqual(got, want, what) {
  check(isDeepStrictEqual(got, want), `${what}: got ${show(got)}, want ${show(want)}`);
}

function show(v) {
  return typeof v === "string" ? JSON.stringify(v) : inspect(v, { depth: 6, breakLength: Infinity });
}

// The fetch adapter of @xapi/xapi throws the response body alone; remembering the last request
// lets a failure name it. Requests run one at a time, so the last one is the one that failed.
let lastFetch = "";
const fetchOf = globalThis.fetch;
globalThis.fetch = (url, init) => {
  lastFetch = `${init?.method ?? "GET"} ${url}`;
  return fetchOf(url, init);
};

// describe turns what a library threw into the request and the LRS's answer, where it tells.
function describe(e) {
  if (e instanceof CheckError) return e.message;
  if (e?.isAxiosError) {
    const req = `${e.config?.method?.toUpperCase()} ${e.config?.url}`;
    if (!e.response) return `${req}: ${e.message}`;
    return `${req} -> ${e.response.status} ${show(e.response.data)}`;
  }
  if (statusOf(e) !== undefined) return `${lastFetch} -> ${e.message}`;
  return e?.stack ?? String(e);
}

// statusOf is the HTTP status of a failed request: axios keeps the response; the fetch adapter
// throws the body only, which from this LRS is {"status":...,"error":...}.
function statusOf(e) {
  if (e?.isAxiosError) return e.response?.status;
  try {
    return JSON.parse(e.message).status;
  } catch {
    return undefined;
  }
}

async function expectStatus(status, promise, what) {
  try {
    await promise;
  } catch (e) {
    check(statusOf(e) === status, `${what}: want HTTP ${status}, got ${describe(e)}`);
    return;
  }
  throw new CheckError(`${what}: want HTTP ${status}, but the request succeeded`);
}

const isUUID = (s) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);

// suite runs the named steps in order and stops at the first failure: later steps build on it.
async function suite(name, steps) {
  let step = "";
  try {
    for (const [title, fn] of steps) {
      step = title;
      await fn();
    }
    console.log(`ok   ${name} (${steps.length} steps)`);
    return true;
  } catch (e) {
    console.log(`FAIL ${name}: ${step}:\n     ${describe(e).replaceAll("\n", "\n     ")}`);
    return false;
  }
}

// ---- @xapi/xapi -------------------------------------------------------------------------------

function xapiSteps(version, adapter) {
  // The library types versions as 1.0.x only, but sends whatever it is given as the header.
  const lrs = new XAPI({ endpoint, auth: XAPI.toBasicAuth(key, secret), version, adapter });
  const run = randomUUID();
  const activity = `https://yrkesresan.se/clients/xapi-js/${run}`;
  const actor = { objectType: "Agent", name: "Klient Kontroll", account: { homePage: "https://yrkesresan.se", name: `check-${run}` } };
  const other = { objectType: "Agent", mbox: `mailto:check-${run}@example.org` };
  const stored = version.startsWith("2.") ? "2.0.0" : "1.0.0";
  let single, singleStored, batchIds;

  const headerVersion = (res, what) => checkEqual(res.headers["x-experience-api-version"], version, `${what}: X-Experience-API-Version`);

  async function allPages(params) {
    const pages = [];
    let res = await lrs.getStatements(params);
    pages.push(res.data.statements);
    for (let more = res.data.more; more; more = res.data.more) {
      check(pages.length < 20, `more links do not end after ${pages.length} pages`);
      check(more.startsWith("/"), `more is not an absolute path: ${show(more)}`);
      res = await lrs.getMoreStatements({ more });
      headerVersion(res, "more page");
      pages.push(res.data.statements);
    }
    return pages;
  }

  const stateOf = (stateId) => ({ agent: actor, activityId: activity, registration: run, stateId });
  const state = { agent: actor, activityId: activity, registration: run };

  return [
    ["GET about", async () => {
      const res = await lrs.getAbout();
      for (const v of ["1.0.3", "2.0.0"]) check(res.data.version?.includes(v), `about.version lacks ${v}: ${show(res.data)}`);
    }],
    ["send one statement", async () => {
      const res = await lrs.sendStatement({
        statement: {
          actor, verb: XAPI.Verbs.INITIALIZED,
          object: { objectType: "Activity", id: activity, definition: { name: { "sv-SE": "Kontroll av klientbibliotek" } } },
          context: { registration: run },
        },
      });
      headerVersion(res, "POST statements");
      check(res.data.length === 1 && isUUID(res.data[0]), `POST answered ${show(res.data)}, want one id`);
      single = res.data[0];
    }],
    ["get it back by id", async () => {
      const res = await lrs.getStatement({ statementId: single });
      const s = res.data;
      checkEqual(s.id, single, "id");
      checkEqual(s.verb.id, XAPI.Verbs.INITIALIZED.id, "verb.id");
      checkEqual(s.actor.account, actor.account, "actor.account");
      checkEqual(s.context?.registration, run, "context.registration");
      checkEqual(s.version, stored, "version set by the LRS");
      check(s.stored && s.timestamp && s.authority, `stored, timestamp or authority missing: ${show(s)}`);
      singleStored = Date.parse(s.stored);
    }],
    [`send a batch of ${BATCH}`, async () => {
      const statements = Array.from({ length: BATCH }, (_, i) => ({
        actor, verb: XAPI.Verbs.PROGRESSED,
        object: { id: `${activity}/steg/${i}` },
        result: { extensions: { "https://yrkesresan.se/xapi/ext/step": i } },
        context: { registration: run, contextActivities: { parent: [{ id: activity }] } },
      }));
      const res = await lrs.sendStatements({ statements });
      check(res.data.length === BATCH && new Set(res.data).size === BATCH && res.data.every(isUUID),
        `POST of ${BATCH} answered ${show(res.data)}`);
      batchIds = res.data;
    }],
    [`query with limit ${PAGE} and follow more`, async () => {
      const pages = await allPages({ registration: run, verb: XAPI.Verbs.PROGRESSED.id, limit: PAGE });
      checkEqual(pages.map((p) => p.length), [PAGE, PAGE, BATCH - 2 * PAGE], "page sizes");
      const seen = pages.flat().map((s) => s.id);
      checkEqual(seen.length, new Set(seen).size, "statements seen twice");
      checkEqual([...seen].sort(), [...batchIds].sort(), "ids seen");
      const stamps = pages.flat().map((s) => Date.parse(s.stored));
      check(stamps.every((t, i) => i === 0 || stamps[i - 1] >= t), "default order is not newest stored first");
    }],
    ["query ascending, since and until, by agent, by activity", async () => {
      const asc = await lrs.getStatements({ registration: run, verb: XAPI.Verbs.PROGRESSED.id, ascending: true, limit: BATCH });
      const stamps = asc.data.statements.map((s) => Date.parse(s.stored));
      check(stamps.length === BATCH && stamps.every((t, i) => i === 0 || stamps[i - 1] <= t), "ascending=true is not oldest first");
      // Bounds from the LRS's own stored times, so the client's clock does not matter.
      const since = new Date(singleStored - 1).toISOString(), until = new Date(stamps.at(-1)).toISOString();
      const window = await lrs.getStatements({ registration: run, since, until, limit: 100 });
      checkEqual(window.data.statements.length, BATCH + 1, `statements stored since ${since} until ${until}`);
      const before = await lrs.getStatements({ registration: run, until: new Date(singleStored - 1).toISOString() });
      checkEqual(before.data.statements, [], "statements stored before the first");
      const byAgent = await lrs.getStatements({ agent: actor, verb: XAPI.Verbs.INITIALIZED.id });
      checkEqual(byAgent.data.statements.map((s) => s.id), [single], "agent + verb query");
      const byActivity = await lrs.getStatements({ activity, registration: run });
      checkEqual(byActivity.data.statements.map((s) => s.id), [single], "activity query");
      const related = await lrs.getStatements({ activity, related_activities: true, registration: run, limit: 100 });
      checkEqual(related.data.statements.length, BATCH + 1, "activity query with related_activities");
      const nobody = await lrs.getStatements({ agent: other });
      checkEqual(nobody.data.statements, [], "query for an agent with no statements");
    }],
    ["format=ids", async () => {
      const res = await lrs.getStatements({ activity, registration: run, format: "ids" });
      const s = res.data.statements[0];
      check(s?.id === single && s.object.definition === undefined, `format=ids kept the definition: ${show(s)}`);
    }],
    ["void a statement", async () => {
      const res = await lrs.voidStatement({ actor, statementId: batchIds[0] });
      check(res.data.length === 1, `voiding answered ${show(res.data)}`);
      const voided = await lrs.getVoidedStatement({ voidedStatementId: batchIds[0] });
      checkEqual(voided.data.id, batchIds[0], "voided statement by voidedStatementId");
      await expectStatus(404, lrs.getStatement({ statementId: batchIds[0] }), "voided statement by statementId");
    }],
    ["state: PUT, GET", async () => {
      await lrs.setState({ ...stateOf("progress"), state: { page: 1, bookmarks: ["a"] } });
      const res = await lrs.getState(stateOf("progress"));
      checkEqual(res.data, { page: 1, bookmarks: ["a"] }, "state document");
      check(/^"[^"]+"$/.test(res.headers.etag ?? ""), `state ETag ${show(res.headers.etag)} is not a quoted entity tag`);
    }],
    ["state: POST merges", async () => {
      await lrs.createState({ ...stateOf("progress"), state: { page: 2, score: 0.5 } });
      const res = await lrs.getState(stateOf("progress"));
      checkEqual(res.data, { page: 2, bookmarks: ["a"], score: 0.5 }, "merged state document");
    }],
    ["state: PUT with If-Match; a stale ETag is 412", async () => {
      const before = await lrs.getState(stateOf("progress"));
      await lrs.setState({ ...stateOf("progress"), state: { page: 3 }, etag: before.headers.etag, matchHeader: "If-Match" });
      const after = await lrs.getState(stateOf("progress"));
      checkEqual(after.data, { page: 3 }, "replaced state document");
      await expectStatus(412, lrs.setState({ ...stateOf("progress"), state: { page: 4 }, etag: before.headers.etag, matchHeader: "If-Match" }),
        "PUT with a stale If-Match");
    }],
    ["state: a text document", async () => {
      await lrs.setState({ ...stateOf("anteckning"), state: "fritext: åäö", contentType: "text/plain" });
      const res = await lrs.getState(stateOf("anteckning"));
      checkEqual(res.data, "fritext: åäö", "text state document");
      check(res.headers["content-type"]?.startsWith("text/plain"), `Content-Type ${show(res.headers["content-type"])}`);
    }],
    ["state: list ids (per registration and across)", async () => {
      checkEqual((await lrs.getStates(state)).data.sort(), ["anteckning", "progress"], "state ids");
      checkEqual((await lrs.getStates({ agent: actor, activityId: activity })).data.sort(), ["anteckning", "progress"],
        "state ids without registration");
      checkEqual((await lrs.getStates({ ...state, registration: randomUUID() })).data, [], "state ids of another registration");
    }],
    ["state: DELETE one, then all", async () => {
      await lrs.deleteState(stateOf("progress"));
      await expectStatus(404, lrs.getState(stateOf("progress")), "GET of a deleted state document");
      checkEqual((await lrs.getStates(state)).data, ["anteckning"], "state ids after one DELETE");
      await lrs.deleteStates(state);
      checkEqual((await lrs.getStates(state)).data, [], "state ids after DELETE of all");
    }],
    ["activity profile: round trip", async () => {
      const p = { activityId: activity, profileId: "inställningar" };
      await lrs.createActivityProfile({ ...p, profile: { lang: "sv" } });
      let res = await lrs.getActivityProfile(p);
      checkEqual(res.data, { lang: "sv" }, "activity profile created by POST");
      await lrs.createActivityProfile({ ...p, profile: { level: 2 }, etag: res.headers.etag, matchHeader: "If-Match" });
      res = await lrs.getActivityProfile(p);
      checkEqual(res.data, { lang: "sv", level: 2 }, "activity profile merged by POST");
      await lrs.setActivityProfile({ ...p, profile: { lang: "en" }, etag: res.headers.etag, matchHeader: "If-Match" });
      res = await lrs.getActivityProfile(p);
      checkEqual(res.data, { lang: "en" }, "activity profile replaced by PUT");
      const q = { activityId: activity, profileId: "omslag" };
      await lrs.setActivityProfile({ ...q, profile: "<svg/>", contentType: "image/svg+xml", etag: "*", matchHeader: "If-None-Match" });
      await expectStatus(412, lrs.setActivityProfile({ ...q, profile: "<svg/>", contentType: "image/svg+xml", etag: "*", matchHeader: "If-None-Match" }),
        "PUT with If-None-Match: * of an existing profile");
      checkEqual((await lrs.getActivityProfiles({ activityId: activity })).data.sort(), ["inställningar", "omslag"], "activity profile ids");
      await lrs.deleteActivityProfile({ ...p, etag: res.headers.etag });
      await lrs.deleteActivityProfile(q);
      await expectStatus(404, lrs.getActivityProfile(p), "GET of a deleted activity profile");
      checkEqual((await lrs.getActivityProfiles({ activityId: activity })).data, [], "activity profile ids after DELETE");
    }],
    ["agent profile: round trip", async () => {
      const p = { agent: other, profileId: "preferenser" };
      await lrs.createAgentProfile({ ...p, profile: { theme: "ljust" } });
      let res = await lrs.getAgentProfile(p);
      checkEqual(res.data, { theme: "ljust" }, "agent profile created by POST");
      await lrs.createAgentProfile({ ...p, profile: { lang: "sv" } });
      res = await lrs.getAgentProfile(p);
      checkEqual(res.data, { theme: "ljust", lang: "sv" }, "agent profile merged by POST");
      await lrs.setAgentProfile({ ...p, profile: { theme: "mörkt" }, etag: res.headers.etag, matchHeader: "If-Match" });
      res = await lrs.getAgentProfile(p);
      checkEqual(res.data, { theme: "mörkt" }, "agent profile replaced by PUT");
      await expectStatus(412, lrs.setAgentProfile({ ...p, profile: {}, etag: '"0000"', matchHeader: "If-Match" }),
        "PUT with a wrong If-Match");
      checkEqual((await lrs.getAgentProfiles({ agent: other })).data, ["preferenser"], "agent profile ids");
      await lrs.deleteAgentProfile({ ...p, etag: res.headers.etag });
      await expectStatus(404, lrs.getAgentProfile(p), "GET of a deleted agent profile");
      checkEqual((await lrs.getAgentProfiles({ agent: other })).data, [], "agent profile ids after DELETE");
    }],
  ];
}

// ---- TinCanJS ---------------------------------------------------------------------------------

function tinCanSteps() {
  const lrs = new TinCan.LRS({ endpoint, username: key, password: secret, allowFail: false, version: "1.0.2" });
  // tc calls a TinCan.LRS method asynchronously: its last argument is the cfg that takes the callback.
  const tc = (method, ...args) => new Promise((resolve, reject) => {
    const cfg = args.pop() ?? {};
    lrs[method](...args, {
      ...cfg,
      callback: (err, res) => err === null
        ? resolve(res)
        : reject(new CheckError(`${method}: ${typeof err === "number" ? `HTTP ${err} ${res?.responseText ?? ""}` : describe(err)}`)),
    });
  });
  const run = randomUUID();
  const activity = new TinCan.Activity({ id: `https://yrkesresan.se/clients/tincanjs/${run}` });
  const actor = new TinCan.Agent({ name: "Klient Kontroll", mbox: `mailto:tincan-${run}@example.org` });
  const verb = new TinCan.Verb({ id: "http://adlnet.gov/expapi/verbs/experienced", display: { "en-US": "experienced" } });
  let single, batchIds;

  return [
    ["about", async () => {
      const about = await tc("about", {});
      check(about.version?.includes("1.0.3"), `about.version: ${show(about.version)}`);
    }],
    ["saveStatement (PUT with the client's id)", async () => {
      const st = new TinCan.Statement({ actor, verb: new TinCan.Verb({ id: "http://adlnet.gov/expapi/verbs/attempted" }), target: activity, context: { registration: run } });
      await tc("saveStatement", st, {});
      single = st.id;
      const got = await tc("retrieveStatement", single, {});
      checkEqual(got.id, single, "retrieved id");
      checkEqual(got.actor.mbox, actor.mbox, "retrieved actor");
    }],
    [`saveStatements (${BATCH})`, async () => {
      const sts = Array.from({ length: BATCH }, (_, i) => new TinCan.Statement({
        actor, verb, target: new TinCan.Activity({ id: `${activity.id}/steg/${i}` }), context: { registration: run },
      }));
      const xhr = await tc("saveStatements", sts, {});
      const ids = JSON.parse(xhr.responseText);
      checkEqual(ids, sts.map((s) => s.id), "ids answered for the batch");
      batchIds = ids;
    }],
    [`queryStatements with limit ${PAGE}, then moreStatements`, async () => {
      const pages = [];
      let res = await tc("queryStatements", { params: { registration: run, verb, limit: PAGE } });
      pages.push(res.statements);
      while (res.more) {
        check(pages.length < 20, `more links do not end after ${pages.length} pages`);
        res = await tc("moreStatements", { url: res.more });
        pages.push(res.statements);
      }
      checkEqual(pages.map((p) => p.length), [PAGE, PAGE, BATCH - 2 * PAGE], "page sizes");
      const seen = pages.flat().map((s) => s.id);
      checkEqual(seen.length, new Set(seen).size, "statements seen twice");
      checkEqual([...seen].sort(), [...batchIds].sort(), "ids seen");
      const byAgent = await tc("queryStatements", { params: { agent: actor, activity, registration: run } });
      checkEqual(byAgent.statements.map((s) => s.id), [single], "agent + activity query");
    }],
    ["state: save, retrieve, merge, list, drop", async () => {
      const cfg = { activity, agent: actor, registration: run };
      await tc("saveState", "progress", { page: 1 }, { ...cfg, contentType: "application/json" });
      let st = await tc("retrieveState", "progress", cfg);
      checkEqual(st?.contents, { page: 1 }, "state document");
      await tc("saveState", "progress", { score: 0.5 }, { ...cfg, contentType: "application/json", method: "POST" });
      st = await tc("retrieveState", "progress", cfg);
      checkEqual(st?.contents, { page: 1, score: 0.5 }, "merged state document");
      await tc("saveState", "progress", { page: 2 }, { ...cfg, contentType: "application/json", lastSHA1: st.etag });
      st = await tc("retrieveState", "progress", cfg);
      checkEqual(st?.contents, { page: 2 }, "replaced state document");
      await tc("saveState", "suspend_data", "a1b2c3", { ...cfg });
      checkEqual((await tc("retrieveStateIds", cfg)).sort(), ["progress", "suspend_data"], "state ids");
      await tc("dropState", "progress", cfg);
      checkEqual(await tc("retrieveState", "progress", cfg), null, "a dropped state document");
      await tc("dropState", null, cfg);
      checkEqual(await tc("retrieveStateIds", cfg), [], "state ids after dropping all");
    }],
    ["activity profile: save, retrieve, replace, list, drop", async () => {
      const cfg = { activity };
      await tc("saveActivityProfile", "inställningar", { lang: "sv" }, { ...cfg, contentType: "application/json" });
      let p = await tc("retrieveActivityProfile", "inställningar", cfg);
      checkEqual(p?.contents, { lang: "sv" }, "activity profile");
      await tc("saveActivityProfile", "inställningar", { lang: "en" }, { ...cfg, contentType: "application/json", lastSHA1: p.etag });
      p = await tc("retrieveActivityProfile", "inställningar", cfg);
      checkEqual(p?.contents, { lang: "en" }, "replaced activity profile");
      checkEqual(await tc("retrieveActivityProfileIds", cfg), ["inställningar"], "activity profile ids");
      await tc("dropActivityProfile", "inställningar", cfg);
      checkEqual(await tc("retrieveActivityProfile", "inställningar", cfg), null, "a dropped activity profile");
    }],
    ["agent profile: save, retrieve, replace, list, drop", async () => {
      const cfg = { agent: actor };
      await tc("saveAgentProfile", "preferenser", { theme: "ljust" }, { ...cfg, contentType: "application/json" });
      let p = await tc("retrieveAgentProfile", "preferenser", cfg);
      checkEqual(p?.contents, { theme: "ljust" }, "agent profile");
      await tc("saveAgentProfile", "preferenser", { theme: "mörkt" }, { ...cfg, contentType: "application/json", lastSHA1: p.etag });
      p = await tc("retrieveAgentProfile", "preferenser", cfg);
      checkEqual(p?.contents, { theme: "mörkt" }, "replaced agent profile");
      checkEqual(await tc("retrieveAgentProfileIds", cfg), ["preferenser"], "agent profile ids");
      await tc("dropAgentProfile", "preferenser", cfg);
      checkEqual(await tc("retrieveAgentProfile", "preferenser", cfg), null, "a dropped agent profile");
    }],
  ];
}

const results = [];
for (const version of ["1.0.3", "2.0.0"]) {
  for (const adapter of ["axios", "fetch"]) {
    results.push(await suite(`@xapi/xapi ${version} (${adapter})`, xapiSteps(version, adapter)));
  }
}
results.push(await suite("TinCanJS 1.0.2", tinCanSteps()));
const failed = results.filter((ok) => !ok).length;
if (failed > 0) {
  console.error(`${failed} of ${results.length} client checks failed against ${endpoint}`);
  process.exit(1);
}
console.log(`all ${results.length} client checks passed against ${endpoint}`);
