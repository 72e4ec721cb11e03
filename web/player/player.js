// The SCORM player: it provides the runtime API (scorm-again's Scorm12API as window.API,
// Scorm2004API as window.API_1484_11) to the SCO it shows in the frame, on the same origin so the
// SCO's API discovery (walking window.parent) finds it. Every URL is relative to the player's
// own, /scorm/s/<session>/, which carries the session token: the player holds no credentials.
(function () {
  'use strict';

  var frame = document.getElementById('content');
  var message = document.getElementById('message');
  var course = null; // the session: title, items, controls, start
  var done = {}; // SCOs completed, by item id
  var cur = null; // the launched item: {item, launch, api, initialized, terminated, seq, is2004}

  function say(text) { message.textContent = text || ''; }

  function byId(id) {
    for (var i = 0; i < course.items.length; i++) if (course.items[i].id === id) return course.items[i];
    return null;
  }

  function launchables() { return course.items.filter(function (it) { return !!it.launch; }); }

  // The control modes that govern navigation to an item: its parent cluster's (or the
  // organization's, at the top).
  function controlsOf(it) {
    var p = it.parent ? byId(it.parent) : null;
    return p ? p.controls : course.controls;
  }

  function neighbour(step) {
    var list = launchables();
    var i = list.findIndex(function (it) { return cur && it.id === cur.item; });
    return i < 0 ? null : list[i + step] || null;
  }

  function canFlow(step) {
    if (!cur) return false;
    var target = neighbour(step);
    if (!target) return false;
    var c = controlsOf(byId(cur.item));
    return c.flow && !(step < 0 && c.forwardOnly);
  }

  function render() {
    var list = document.getElementById('toc-list');
    list.textContent = '';
    course.items.forEach(function (it) {
      if (!it.visible) return;
      var li = document.createElement('li');
      li.style.paddingLeft = it.depth + 'em';
      if (cur && cur.item === it.id) li.className = 'current';
      if (done[it.id]) li.className += ' done';
      if (it.launch) {
        var b = document.createElement('button');
        b.type = 'button';
        b.textContent = it.title;
        b.disabled = !controlsOf(it).choice;
        b.onclick = function () { go(it.id); };
        li.appendChild(b);
      } else {
        li.textContent = it.title;
      }
      list.appendChild(li);
    });
    var multi = launchables().length > 1;
    document.getElementById('toc').hidden = !multi;
    document.getElementById('flow').hidden = !multi;
    document.getElementById('prev').disabled = !canFlow(-1);
    document.getElementById('next').disabled = !canFlow(1);
  }

  // post sends a runtime event synchronously, as scorm-again's own commits are: the SCO's
  // Initialize must be recorded before its first commit.
  function post(event) {
    var xhr = new XMLHttpRequest();
    xhr.open('POST', 'sco/' + encodeURIComponent(cur.item) + '/runtime', false);
    xhr.setRequestHeader('Content-Type', 'application/json');
    try { xhr.send(JSON.stringify(event)); } catch (e) { return false; }
    return xhr.status >= 200 && xhr.status < 300;
  }

  // beacon saves the data of a SCO that is being left without having terminated (the window
  // closes, or the learner picks another item): a plain commit, sent so it survives the unload.
  function beacon() {
    if (!cur || !cur.api || !cur.initialized || cur.terminated) return;
    var event = { event: 'commit', launch: cur.launch, seq: cur.seq + 1, cmi: cur.api.renderCommitCMI(false).cmi };
    cur.seq++;
    navigator.sendBeacon('sco/' + encodeURIComponent(cur.item) + '/runtime',
      new Blob([JSON.stringify(event)], { type: 'text/plain;charset=UTF-8' }));
  }

  var navEvents = {
    SequenceNext: 'continue', SequencePrevious: 'previous', SequenceChoice: 'choice', SequenceJump: 'jump',
    SequenceExit: 'exit', SequenceExitAll: 'exitAll', SequenceAbandon: 'abandon', SequenceAbandonAll: 'abandonAll'
  };

  function newAPI(l) {
    var is2004 = l.scorm !== '1.2';
    var state = { item: l.item, launch: l.launch, initialized: false, terminated: false, seq: 0, is2004: is2004,
      nav: { request: '_none_', target: '' } };
    var settings = {
      lmsCommitUrl: 'sco/' + encodeURIComponent(l.item) + '/runtime',
      autocommit: true,
      autocommitSeconds: 15,
      logLevel: 4,
      // Every commit carries the launch and scorm-again's commit sequence, so the server applies
      // each once and in order; the final one (sent with sendBeacon) says it terminates.
      requestHandler: function (commit, meta) {
        var seq = meta && meta.sequence ? meta.sequence : state.seq + 1;
        state.seq = Math.max(state.seq, seq);
        return { event: meta && meta.isTerminateCommit ? 'terminate' : 'commit', launch: l.launch, seq: seq, cmi: commit.cmi };
      }
    };
    var api = is2004 ? new window.Scorm2004API(settings) : new window.Scorm12API(settings);
    api.loadFromJSON(l.cmi, '');
    api.on(is2004 ? 'Initialize' : 'LMSInitialize', function () {
      state.initialized = true;
      post({ event: 'initialize', launch: l.launch, seq: 0 });
    });
    api.on(is2004 ? 'Terminate' : 'LMSFinish', function () {
      state.terminated = true;
      setTimeout(afterTerminate, 0);
    });
    // scorm-again reports the SCO's navigation request (adl.nav.request) at Terminate as these
    // events, after the Terminate event and before afterTerminate runs.
    Object.keys(navEvents).forEach(function (name) {
      api.on(name, function (target) { state.nav = { request: navEvents[name], target: target || '' }; });
    });
    state.api = api;
    return state;
  }

  // leave unloads the current item, letting the SCO terminate itself, and saves what it left.
  function leave() {
    return new Promise(function (resolve) {
      if (!cur) return resolve();
      frame.onload = function () { frame.onload = null; beacon(); resolve(); };
      frame.src = 'about:blank';
    });
  }

  function go(id) {
    leave().then(function () { return fetch('sco/' + encodeURIComponent(id), { cache: 'no-store' }); })
      .then(function (res) { return res.json().then(function (body) { return { ok: res.ok, body: body }; }); })
      .then(function (r) {
        if (!r.ok) throw new Error(r.body.error || 'the item cannot be launched');
        var l = r.body;
        cur = l.sco ? newAPI(l) : { item: l.item };
        // Assets do not talk to the runtime; SCOs find exactly one API of their version.
        window.API = cur.api && !cur.is2004 ? cur.api : undefined;
        window.API_1484_11 = cur.api && cur.is2004 ? cur.api : undefined;
        say('');
        render();
        frame.src = 'content/' + l.url;
      })
      .catch(function (e) { say('The course cannot continue: ' + e.message); });
  }

  // afterTerminate follows the SCO's navigation request (SCORM 2004 adl.nav.request) where the
  // control modes allow it, and refreshes the progress marks.
  function afterTerminate() {
    var nav = cur && cur.nav ? cur.nav : { request: '_none_', target: '' };
    var req = nav.request, target = byId(nav.target);
    refresh().then(function () {
      if (req === 'continue' && canFlow(1)) return go(neighbour(1).id);
      if (req === 'previous' && canFlow(-1)) return go(neighbour(-1).id);
      if (target && target.launch && (req === 'jump' || req === 'choice' && controlsOf(target).choice)) return go(target.id);
      if (/^(exit|exitAll|abandon|abandonAll)$/.test(req) || launchables().length === 1) {
        say('You can close this window now; your progress is saved.');
      } else {
        say('Choose the next part of the course.');
      }
    });
  }

  function refresh() {
    return fetch('session', { cache: 'no-store' }).then(function (res) { return res.json(); }).then(function (s) {
      done = {};
      s.completed.forEach(function (id) { done[id] = true; });
      render();
    }).catch(function () {});
  }

  document.getElementById('prev').onclick = function () { if (canFlow(-1)) go(neighbour(-1).id); };
  document.getElementById('next').onclick = function () { if (canFlow(1)) go(neighbour(1).id); };
  window.addEventListener('pagehide', beacon);

  fetch('session', { cache: 'no-store' })
    .then(function (res) { return res.json().then(function (body) { return { ok: res.ok, body: body }; }); })
    .then(function (r) {
      if (!r.ok) throw new Error(r.body.error);
      course = r.body;
      document.title = course.title;
      document.getElementById('title').textContent = course.title;
      course.completed.forEach(function (id) { done[id] = true; });
      render();
      if (!course.start) throw new Error('the course has nothing to launch');
      go(course.start);
    })
    .catch(function (e) { say('The course cannot be opened: ' + e.message); });
})();
