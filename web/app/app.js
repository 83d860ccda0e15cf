/* WAPIZ's web app: Alpine.js components (the CSP build: registered here, no inline script,
   no eval). Every figure comes from the JSON API, with the same `wa_token` cookie any client
   uses; what is polled is asked with If-None-Match, so an unchanged answer is a bodiless 304. */
(function () {
  "use strict";

  var LANG = document.documentElement.lang === "en" ? "en" : "id";
  function t(id, en) { return LANG === "en" ? en : id; }

  // --- the API ----------------------------------------------------------------------------

  function call(method, path, body, extra) {
    var headers = { "Accept": "application/json", "Accept-Language": LANG };
    var options = { method: method, headers: headers, credentials: "same-origin", cache: "no-store" };
    if (body instanceof FormData) {
      options.body = body;
    } else if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    if (extra && extra.etag) headers["If-None-Match"] = extra.etag;
    return fetch(path, options).then(function (response) {
      var type = response.headers.get("content-type") || "";
      var read = response.status === 304 ? Promise.resolve(null)
        : type.indexOf("application/json") === 0 ? response.json()
        : type.indexOf("image/") === 0 ? response.blob() : response.text();
      return read.then(function (data) {
        if (response.status === 401 && !(extra && extra.quiet401)) {
          window.location.assign("/login");
        }
        return { status: response.status, ok: response.ok, data: data,
                 etag: response.headers.get("etag"), headers: response.headers };
      });
    });
  }

  // A 503 with Retry-After ("no runner holds this device yet": just added, or its runner
  // is being replaced) is asked again after the wait, for up to PATIENCE_MS, as a person
  // would; any other answer, or the last 503, is the caller's.
  var PATIENCE_MS = 30000;
  function callPatiently(method, path, body) {
    var deadline = Date.now() + PATIENCE_MS;
    function attempt() {
      return call(method, path, body).then(function (answer) {
        var wait = Math.min(parseFloat(answer.headers.get("retry-after")), 2) * 1000;
        if (answer.status !== 503 || isNaN(wait) || Date.now() + wait > deadline) return answer;
        return new Promise(function (resume) { setTimeout(resume, wait); }).then(attempt);
      });
    }
    return attempt();
  }

  function errorText(answer) {
    if (answer && answer.data && answer.data.error) return answer.data.error;
    return t("Terjadi kesalahan (" + answer.status + ")", "Something went wrong (" + answer.status + ")");
  }

  // A GET asked again and again: `onChange` sees an answer only when it differs.
  function Poller(path, onChange) {
    this.path = path; this.onChange = onChange; this.etag = null; this.timer = null;
    this.interval = 3000; this.stopped = false; this.busy = false;
  }
  Poller.prototype.run = function () {
    var self = this;
    if (self.stopped) return Promise.resolve();
    if (self.busy) { self.again = true; return Promise.resolve(); }  // asked during a round
    // A hidden page skips its clock's rounds, not what an event asks for (it comes once).
    if (document.hidden && !self.streamed) { self.schedule(); return Promise.resolve(); }
    self.busy = true;
    return call("GET", typeof self.path === "function" ? self.path() : self.path, undefined,
                { etag: self.etag }).then(function (answer) {
      if (answer.status === 200) { self.etag = answer.etag; self.onChange(answer.data); }
      else if (answer.status !== 304) { self.etag = null; self.onChange(null, answer); }
    }).catch(function () { /* offline a moment: the next round asks again */ })
      .then(function () {
        self.busy = false;
        if (self.again) { self.again = false; self.run(); } else self.schedule();
      });
  };
  Poller.prototype.schedule = function () {
    var self = this;
    clearTimeout(self.timer);
    // `streamed`: the event stream says when to ask again (see `listen`), not the clock.
    if (!self.stopped && !self.streamed) self.timer = setTimeout(function () { self.run(); }, self.interval);
  };
  // Asked when the event stream says so while it is up; by the clock again while it is down.
  Poller.prototype.stream = function (up) {
    this.streamed = up;
    if (up) clearTimeout(this.timer); else this.schedule();
  };

  // The account's events as they happen (GET /api/events, server-sent events with the
  // cookie): `onEvent(type, data)` for each of `types`, `onUp(up)` when the stream opens
  // (true) or fails (false: poll meanwhile). The browser reconnects by itself with
  // Last-Event-ID (after an `overflow` too); if it gives up (a refusal such as 410), a
  // fresh stream is tried after 30 s.
  function listen(types, onEvent, onUp) {
    if (!window.EventSource) { onUp(false); return; }
    var query = types.map(function (type) { return "type=" + encodeURIComponent(type); }).join("&");
    var source = new EventSource("/api/events?" + query);
    types.forEach(function (type) {
      source.addEventListener(type, function (message) { onEvent(type, JSON.parse(message.data).data); });
    });
    source.onopen = function () { onUp(true); };
    source.onerror = function () {
      onUp(false);
      if (source.readyState === EventSource.CLOSED) {
        setTimeout(function () { listen(types, onEvent, onUp); }, 30000);
      }
    };
  }
  Poller.prototype.every = function (ms) {
    if (ms !== this.interval) { this.interval = ms; this.schedule(); }
  };
  Poller.prototype.now = function () { clearTimeout(this.timer); return this.run(); };

  // --- words for what the API reports ------------------------------------------------------

  var REASONS = {
    waiting_for_runner: ["menunggu runner", "waiting for a runner"],
    connecting: ["sedang menghubungkan", "connecting"],
    connect_failed: ["gagal terhubung ke WhatsApp", "could not reach WhatsApp"],
    removed_from_phone: ["tautan dihapus dari HP", "the link was removed on the phone"],
    main_device_gone: ["perangkat utama tidak ada", "the main device is gone"],
    logged_out: ["keluar dari WhatsApp", "logged out of WhatsApp"],
    temporary_ban: ["diblokir sementara oleh WhatsApp", "temporarily banned by WhatsApp"],
    stream_replaced: ["dipakai klien lain", "replaced by another client"],
    keepalive_timeout: ["WhatsApp tidak menjawab", "WhatsApp stopped answering"],
    connection_lost: ["koneksi terputus", "connection lost"],
    qr_timeout: ["kode QR kedaluwarsa", "the QR code expired"],
    pairing_failed: ["penautan gagal", "pairing failed"],
    client_outdated: ["versi klien usang", "client outdated"],
    watchdog_silent: ["tidak ada kabar, menghubungkan ulang", "silent, reconnecting"],
    runner_unavailable: ["tidak ada runner yang memantau", "no runner is watching"],
    runner_stopped: ["runner berhenti", "the runner stopped"],
    runner_crashed: ["runner mati", "the runner crashed"]
  };

  function statusWords(status) {
    if (!status) return { text: t("memuat…", "loading…"), badge: "badge-muted" };
    if (status.status === "logged_in") return { text: t("terhubung", "connected"), badge: "badge-ok" };
    var reason = status.reason && REASONS[status.reason];
    var why = reason ? reason[LANG === "en" ? 1 : 0] : (status.reason || "");
    if (status.status === "connected") {
      return { text: t("menunggu pindai QR", "waiting for the QR scan"), badge: "badge-wait" };
    }
    if (status.reason === "connecting" || status.reason === "waiting_for_runner") {
      return { text: t("menghubungkan", "connecting") + " (" + why + ")", badge: "badge-wait" };
    }
    return { text: t("terputus", "disconnected") + (why ? ": " + why : ""), badge: "badge-bad" };
  }

  var STATUS_BADGES = { sent: "badge-ok", delivered: "badge-ok", read: "badge-ok", received: "badge-ok",
                        succeeded: "badge-ok", queued: "badge-wait", sending: "badge-wait",
                        pending: "badge-wait", failed: "badge-bad", cancelled: "badge-muted" };

  // A message's status (GET /api/messages) in words; the raw value stays in data-status.
  var MESSAGE_STATUSES = {
    queued: ["dalam antrean", "queued"], sending: ["sedang dikirim", "sending"],
    sent: ["terkirim", "sent"], delivered: ["sampai", "delivered"], read: ["dibaca", "read"],
    failed: ["gagal", "failed"], cancelled: ["dibatalkan", "cancelled"],
    received: ["diterima", "received"]
  };

  function wordsFor(table, value) {
    var words = table[value];
    return words ? words[LANG === "en" ? 1 : 0] : value;
  }

  function planText(name) { return name ? name.charAt(0).toUpperCase() + name.slice(1) : ""; }

  function when(iso) {
    if (!iso) return "";
    return new Date(iso).toLocaleString(LANG === "en" ? "en-GB" : "id-ID",
                                        { dateStyle: "short", timeStyle: "medium" });
  }

  function randomPhone() {
    return "62812" + String(Math.floor(1000000 + Math.random() * 8999999));
  }

  document.addEventListener("alpine:init", function () {
    var Alpine = window.Alpine;

    // --- the account: plan, devices and limit, always in view ------------------------------
    Alpine.store("account", {
      loaded: false, email: "", planName: "", deviceCount: 0, deviceLimit: 0, isAdmin: false,
      init: function () { if (document.querySelector(".account")) this.refresh(); },
      refresh: function () {
        var self = this;
        return call("GET", "/api/auth/me").then(function (answer) {
          if (!answer.ok) return;
          var me = answer.data;
          self.email = me.email;
          self.planName = planText(me.plan);
          self.isAdmin = !!me.isAdmin;
          if (me.deviceLimit !== undefined && me.deviceCount !== undefined) {
            self.deviceLimit = me.deviceLimit; self.deviceCount = me.deviceCount;
            self.loaded = true;
            return;
          }
          return call("GET", "/api/devices").then(function (list) {
            self.deviceCount = list.ok ? list.data.length : 0;
            self.deviceLimit = me.plan === "free" || me.plan === "lite" ? 1 : 3;
            self.loaded = true;
          });
        });
      },
      logout: function () {
        return call("POST", "/api/auth/logout", undefined, { quiet401: true }).then(function () {
          window.location.assign("/");
        });
      }
    });

    // --- log in and sign up -------------------------------------------------------------------
    Alpine.data("auth", function () {
      return {
        mode: "login", name: "", email: "", password: "", error: "", busy: false,
        invite: "", signup: "", notice: "",
        init: function () {
          var self = this;
          self.mode = self.$el.dataset.mode;
          if (self.mode !== "register") return;
          self.invite = new URLSearchParams(window.location.search).get("invite") || "";
          call("GET", "/api/auth/signup", undefined, { quiet401: true }).then(function (answer) {
            if (!answer.ok) return;
            self.signup = answer.data.signup;
            if (self.signup === "closed") {
              self.notice = t("Pendaftaran ditutup di server ini: minta admin membuatkan akun.",
                              "Sign-up is closed on this server: ask an admin for an account.");
            } else if (self.signup === "invite") {
              self.notice = self.invite
                ? t("Anda mendaftar dengan undangan.", "You are signing up with an invite.")
                : t("Pendaftaran hanya dengan undangan: buka tautan undangan dari admin.",
                    "Sign-up is by invitation only: open the invite link an admin sent you.");
            }
          });
        },
        submit: function () {
          var self = this;
          self.error = ""; self.busy = true;
          var body = { email: self.email, password: self.password };
          if (self.mode === "register") {
            body.name = self.name;
            if (self.invite) body.invite = self.invite;
          }
          var path = self.mode === "register" ? "/api/auth/register" : "/api/auth/login";
          call("POST", path, body, { quiet401: true }).then(function (answer) {
            self.busy = false;
            if (answer.ok) window.location.assign("/");
            else self.error = errorText(answer);
          }, function () { self.busy = false; self.error = t("Tidak dapat terhubung", "Cannot connect"); });
        }
      };
    });

    // --- the device list ---------------------------------------------------------------------
    Alpine.data("devices", function () {
      return {
        items: [], loaded: false, newLabel: "", error: "", busy: false, pollers: {},
        init: function () { this.load(); },
        load: function () {
          var self = this;
          return call("GET", "/api/devices").then(function (answer) {
            if (!answer.ok) { self.error = errorText(answer); return; }
            var known = {};
            self.items.forEach(function (item) { known[item.id] = item; });
            self.items = answer.data.map(function (device) {
              var item = known[device.id] || { editing: false, confirming: false, draft: "",
                                               statusText: statusWords(null).text, badge: "badge-muted" };
              item.id = device.id; item.label = device.label; item.href = "/devices/" + device.id;
              return item;
            });
            self.loaded = true;
            self.watchStatuses();
          });
        },
        streamUp: false,
        watchStatuses: function () {
          var self = this;
          if (!self.listening) {
            self.listening = true;
            // A device.status event says which device to ask again; polling only while the
            // stream is down.
            listen(["device.status"], function (type, data) {
              if (self.pollers[data.id]) self.pollers[data.id].now();
            }, function (up) {
              var was = self.streamUp;
              self.streamUp = up;
              Object.keys(self.pollers).forEach(function (id) {
                self.pollers[id].stream(up);
                if (up && !was) self.pollers[id].now();  // what happened while it was down
              });
            });
          }
          self.items.forEach(function (item) {
            if (self.pollers[item.id]) return;
            var poller = new Poller("/api/devices/" + item.id + "/status", function (status) {
              if (!status) return;
              var words = statusWords(status);
              var current = self.items.find(function (i) { return i.id === item.id; });
              if (current) { current.statusText = words.text; current.badge = words.badge; }
            });
            poller.interval = 3000;
            poller.streamed = self.streamUp;
            self.pollers[item.id] = poller;
            poller.run();
          });
        },
        add: function () {
          var self = this;
          self.error = ""; self.busy = true;
          var body = self.newLabel.trim() ? { label: self.newLabel.trim() } : undefined;
          call("POST", "/api/devices", body).then(function (answer) {
            self.busy = false;
            if (!answer.ok) { self.error = errorText(answer); return; }
            self.newLabel = "";
            Alpine.store("account").refresh();
            window.location.assign("/devices/" + answer.data.id);
          });
        },
        startRename: function (item) { item.draft = item.label; item.editing = true; },
        cancelRename: function (item) { item.editing = false; },
        saveRename: function (item) {
          var self = this;
          call("PATCH", "/api/devices/" + item.id, { label: item.draft }).then(function (answer) {
            if (!answer.ok) { self.error = errorText(answer); return; }
            item.label = answer.data.label; item.editing = false;
          });
        },
        askDelete: function (item) { item.confirming = true; },
        cancelDelete: function (item) { item.confirming = false; },
        remove: function (item) {
          var self = this;
          call("DELETE", "/api/devices/" + item.id).then(function (answer) {
            if (!answer.ok) { self.error = errorText(answer); return; }
            if (self.pollers[item.id]) { self.pollers[item.id].stopped = true; delete self.pollers[item.id]; }
            self.items = self.items.filter(function (i) { return i.id !== item.id; });
            self.error = "";
            Alpine.store("account").refresh();
          });
        }
      };
    });

    // --- API keys (GET/POST /api/keys, DELETE /api/keys/:id) ----------------------------------
    Alpine.data("keys", function () {
      return {
        items: [], devices: [], loaded: false, name: "", deviceId: "", created: "", note: "", error: "",
        init: function () {
          var self = this;
          call("GET", "/api/devices").then(function (answer) {
            if (answer.ok) self.devices = answer.data;
            self.load();
          });
        },
        load: function () {
          var self = this;
          return call("GET", "/api/keys").then(function (answer) {
            if (!answer.ok) { self.error = errorText(answer); return; }
            var labels = {};
            self.devices.forEach(function (d) { labels[d.deviceId] = d.label; });
            self.items = answer.data.items.map(function (k) {
              return { id: k.id, name: k.name, prefix: k.prefix + "…", confirming: false,
                       deviceText: k.deviceId ? (labels[k.deviceId] || k.deviceId) : t("semua", "all"),
                       created: when(k.createdAt),
                       lastUsed: k.lastUsedAt ? when(k.lastUsedAt) : t("belum pernah", "never") };
            });
            self.loaded = true;
          });
        },
        create: function () {
          var self = this;
          self.error = ""; self.note = "";
          var body = { name: self.name };
          if (self.deviceId) body.deviceId = self.deviceId;
          call("POST", "/api/keys", body).then(function (answer) {
            if (!answer.ok) { self.error = errorText(answer); return; }
            self.created = answer.data.key; self.name = "";
            self.load();
          });
        },
        copy: function () {
          var self = this;
          if (navigator.clipboard) {
            navigator.clipboard.writeText(self.created).then(function () {
              self.note = t("Disalin", "Copied");
            }, function () { self.note = t("Tidak dapat menyalin", "Could not copy"); });
          }
        },
        dismiss: function () { this.created = ""; this.note = ""; },
        ask: function (k) { k.confirming = true; },
        cancel: function (k) { k.confirming = false; },
        revoke: function (k) {
          var self = this;
          call("DELETE", "/api/keys/" + k.id).then(function (answer) {
            if (!answer.ok) { self.error = errorText(answer); return; }
            self.items = self.items.filter(function (i) { return i.id !== k.id; });
          });
        }
      };
    });

    // --- the operator's pages (/api/admin; a non-admin reads the API's 403 in words) ---------
    var INVITE_STATUSES = { open: ["terbuka", "open", "badge-ok"], used: ["terpakai", "used", "badge-muted"],
                            expired: ["kedaluwarsa", "expired", "badge-bad"] };

    // One process of the deployment (GET /api/admin/cluster), as the health page lists it.
    function nodeRow(n) {
      var state = n.draining ? [t("menyerahkan perangkat", "handing devices over"), "badge-wait"]
        : n.alive ? [t("aktif", "alive"), "badge-ok"] : [t("diam", "silent"), "badge-bad"];
      return {
        name: n.name, host: n.host, version: n.version,
        roleText: n.role === "api" ? "API" : "runner (" + n.runnerRole + ")",
        heldText: n.role === "api" ? "—" : n.devicesHeld + " / " + n.capacity,
        ageText: Math.round(n.heartbeatAgeSeconds) + t(" dtk lalu", " s ago"),
        stateText: state[0], badge: state[1] };
    }

    Alpine.data("admin", function () {
      return {
        section: "", allowed: false, loaded: false, error: "", note: "",
        plans: [], q: "", status: "", cursor: null,
        users: [], devices: [], health: {}, nodes: [], checkedText: "",
        signup: "", signupSource: "", signupSourceText: "",
        invites: [], inviteEmail: "", invitePlan: "", inviteUrl: "",
        init: function () {
          var self = this;
          self.section = self.$el.dataset.section;
          // The settings first: the plans for the users' and invites' choices, and the answer
          // that says whether this visitor is an admin at all.
          call("GET", "/api/admin/settings").then(function (answer) {
            if (!answer.ok) { self.error = errorText(answer); return; }
            self.allowed = true;
            self.onSettings(answer.data);
            self.plans = answer.data.plans.map(function (p) {
              return { name: p.name, text: p.displayName + " (" + p.deviceLimit + " " + t("perangkat", "devices") + ")" };
            });
            self.invitePlan = answer.data.defaultPlan;
            if (self.section === "users") self.loadUsers(false);
            else if (self.section === "devices") self.loadDevices(false);
            else if (self.section === "health") self.loadHealth();
            else self.loadInvites();
          });
        },
        fail: function (answer) { this.error = errorText(answer); },
        page: function (path, params, more) {
          var query = new URLSearchParams();
          Object.keys(params).forEach(function (k) { if (params[k]) query.set(k, params[k]); });
          if (more && this.cursor) query.set("cursor", this.cursor);
          var text = query.toString();
          return call("GET", path + (text ? "?" + text : ""));
        },

        // users
        userItem: function (u) {
          return { id: u.id, email: u.email, name: u.name, plan: u.plan, isAdmin: u.isAdmin,
                   disabled: u.disabled, error: "",
                   planLabel: t("Paket untuk ", "Plan for ") + u.email,
                   devicesText: u.deviceCount + "/" + u.deviceLimit,
                   stateText: u.disabled ? t("nonaktif", "disabled") : t("aktif", "active"),
                   stateBadge: u.disabled ? "badge-bad" : "badge-ok",
                   disableText: u.disabled ? t("Aktifkan", "Enable") : t("Nonaktifkan", "Disable"),
                   adminText: u.isAdmin ? t("Cabut admin", "Remove admin") : t("Jadikan admin", "Make admin") };
        },
        loadUsers: function (more) {
          var self = this;
          self.page("/api/admin/users", { q: self.q.trim() }, more).then(function (answer) {
            if (!answer.ok) { self.fail(answer); return; }
            var items = answer.data.items.map(function (u) { return self.userItem(u); });
            self.users = more ? self.users.concat(items) : items;
            self.cursor = answer.data.nextCursor; self.loaded = true; self.error = "";
          });
        },
        searchUsers: function () { this.cursor = null; this.loadUsers(false); },
        moreUsers: function () { this.loadUsers(true); },
        changeUser: function (u, change) {
          var self = this;
          u.error = "";
          return call("PATCH", "/api/admin/users/" + u.id, change).then(function (answer) {
            var index = self.users.findIndex(function (i) { return i.id === u.id; });
            if (!answer.ok) {
              // The 409s (an admin's own rights) and the rest, in the API's words.
              if (index >= 0) self.users[index].error = errorText(answer);
              self.reloadUser(u);
              return;
            }
            if (index >= 0) self.users[index] = self.userItem(answer.data);
            if (answer.data.email === Alpine.store("account").email) Alpine.store("account").refresh();
          });
        },
        reloadUser: function (u) {
          var self = this;
          var error = u.error;
          call("GET", "/api/admin/users?q=" + encodeURIComponent(u.email)).then(function (answer) {
            var found = answer.ok && answer.data.items.find(function (i) { return i.id === u.id; });
            var index = self.users.findIndex(function (i) { return i.id === u.id; });
            if (found && index >= 0) { self.users[index] = self.userItem(found); self.users[index].error = error; }
          });
        },
        setPlan: function (u) { this.changeUser(u, { plan: u.plan }); },
        toggleDisabled: function (u) { this.changeUser(u, { disabled: !u.disabled }); },
        toggleAdmin: function (u) { this.changeUser(u, { isAdmin: !u.isAdmin }); },

        // devices
        loadDevices: function (more) {
          var self = this;
          self.page("/api/admin/devices", { q: self.q.trim(), status: self.status }, more).then(function (answer) {
            if (!answer.ok) { self.fail(answer); return; }
            var items = answer.data.items.map(function (d) {
              var words = statusWords(d);
              return { id: d.id, deviceId: d.deviceId, label: d.label, owner: d.ownerEmail,
                       statusText: words.text, badge: words.badge, created: when(d.createdAt) };
            });
            self.devices = more ? self.devices.concat(items) : items;
            self.cursor = answer.data.nextCursor; self.loaded = true; self.error = "";
          });
        },
        searchDevices: function () { this.cursor = null; this.loadDevices(false); },
        moreDevices: function () { this.loadDevices(true); },

        // health
        loadHealth: function () {
          var self = this;
          call("GET", "/api/admin/health").then(function (answer) {
            if (!answer.ok) { self.fail(answer); return; }
            var h = answer.data;
            self.health = {
              dbText: h.database.reachable ? t("terjangkau", "reachable") : t("tidak terjangkau", "unreachable"),
              dbBadge: h.database.reachable ? "badge-ok" : "badge-bad",
              dbKind: h.database.kind === "sqlite" ? "SQLite" : "PostgreSQL", latency: h.database.latencyMs,
              runners: h.runners.live, leases: h.runners.leases, devices: h.runners.devices,
              queued: h.queuedMessages, backlog: h.webhookBacklog, due: h.webhookDue,
              version: h.version, engine: h.engine };
            self.checkedText = t("Diperiksa ", "Checked ") + when(new Date().toISOString());
            self.loaded = true;
          });
          call("GET", "/api/admin/cluster").then(function (answer) {
            if (!answer.ok) { self.fail(answer); return; }
            self.nodes = answer.data.nodes.map(nodeRow);
          });
        },

        // sign-up and invites
        onSettings: function (s) {
          this.signup = s.signup; this.signupSource = s.signupSource;
          var modes = { open: t("terbuka", "open"), invite: t("hanya dengan undangan", "invite only"),
                        closed: t("ditutup", "closed") };
          this.signupSourceText = s.signupSource === "admin"
            ? t("Diatur oleh admin pada ", "Set by an admin on ") + when(s.signupChangedAt) +
              t("; bawaan server (WAPIZ_SIGNUP): ", "; the server default (WAPIZ_SIGNUP): ") + modes[s.signupDefault]
            : t("Bawaan server (WAPIZ_SIGNUP): ", "The server default (WAPIZ_SIGNUP): ") + modes[s.signupDefault];
        },
        patchSignup: function (mode) {
          var self = this;
          call("PATCH", "/api/admin/settings", { signup: mode }).then(function (answer) {
            if (!answer.ok) { self.fail(answer); return; }
            self.error = ""; self.onSettings(answer.data);
          });
        },
        setSignup: function () { this.patchSignup(this.signup); },
        resetSignup: function () { this.patchSignup(null); },
        loadInvites: function () {
          var self = this;
          call("GET", "/api/admin/invites?limit=100").then(function (answer) {
            if (!answer.ok) { self.fail(answer); return; }
            self.invites = answer.data.items.map(function (i) {
              var words = INVITE_STATUSES[i.status] || [i.status, i.status, "badge-muted"];
              return { id: i.id, emailText: i.email || t("siapa saja", "anyone"), planText: planText(i.plan),
                       statusText: words[LANG === "en" ? 1 : 0], badge: words[2], expires: when(i.expiresAt),
                       confirming: false };
            });
            self.loaded = true;
          });
        },
        createInvite: function () {
          var self = this;
          self.note = ""; self.error = "";
          var body = { plan: self.invitePlan };
          if (self.inviteEmail.trim()) body.email = self.inviteEmail.trim();
          call("POST", "/api/admin/invites", body).then(function (answer) {
            if (!answer.ok) { self.fail(answer); return; }
            self.inviteUrl = answer.data.url; self.inviteEmail = "";
            self.loadInvites();
          });
        },
        copyInvite: function () {
          var self = this;
          if (navigator.clipboard) {
            navigator.clipboard.writeText(self.inviteUrl).then(function () {
              self.note = t("Disalin", "Copied");
            }, function () { self.note = t("Tidak dapat menyalin", "Could not copy"); });
          }
        },
        dismissInvite: function () { this.inviteUrl = ""; this.note = ""; },
        askRevoke: function (i) { i.confirming = true; },
        cancelRevoke: function (i) { i.confirming = false; },
        revokeInvite: function (i) {
          var self = this;
          call("DELETE", "/api/admin/invites/" + i.id).then(function (answer) {
            if (!answer.ok) { self.fail(answer); return; }
            self.invites = self.invites.filter(function (x) { return x.id !== i.id; });
          });
        }
      };
    });

    // --- one device ----------------------------------------------------------------------------
    Alpine.data("device", function () {
      return {
        id: "", label: "", tab: "link", error: "",
        loggedIn: false, phone: "", statusText: statusWords(null).text, badge: "badge-muted",
        qrUrl: "", qrSeenAt: 0, qrExpiresAt: 0, countdownText: "", qrEtag: null, sandbox: false,
        sandboxPhone: randomPhone(), pairPhone: "", pairCode: "", pairing: false,
        stats: { queueDepth: "–" }, lastEventText: "–", charts: {},
        messages: [], sendTo: "", sendText: "", sendError: "", sending: false,
        webhook: {}, webhookUrl: "", secretShown: false, webhookNote: "", deliveries: [],
        settings: {}, settingsError: "", settingsNote: "",
        init: function () {
          var self = this;
          self.id = self.$el.dataset.device;
          var base = "/api/devices/" + self.id;
          call("GET", "/api/health", undefined, { quiet401: true }).then(function (answer) {
            self.sandbox = answer.ok && answer.data.engine === "sandbox";
          });
          // The status: every 250 ms while the QR code shows (a scan shows within a second),
          // every 3 s once linked.
          self.statusPoller = new Poller(base + "/status", function (status) { self.onStatus(status); });
          self.statusPoller.interval = 250;
          self.statusPoller.run();
          self.qrPoller = setInterval(function () { self.tick(); }, 1000);
          self.messagePoller = new Poller(function () {
            return "/api/messages?limit=50&deviceId=" + encodeURIComponent(self.deviceId || "");
          }, function (page) { if (page) self.onMessages(page.items); });
          self.messagePoller.interval = 2000;
          self.deliveryPoller = new Poller(base + "/webhook/deliveries?limit=50", function (page) {
            if (page) self.onDeliveries(page.items);
          });
          self.deliveryPoller.interval = 3000;
          self.statsPoller = new Poller(base + "/stats?days=14", function (stats) {
            if (stats) self.onStats(stats);
          });
          self.statsPoller.interval = 15000;
          call("GET", "/api/devices").then(function (answer) {
            var found = answer.ok && answer.data.find(function (d) { return d.id === self.id; });
            if (!found) {
              if (answer.ok) self.error = t("Device tidak ditemukan", "Device not found");
              return;
            }
            self.label = found.label; self.deviceId = found.deviceId;
            self.messagePoller.run();
          });
          // The device's events say when its status and messages changed: they are asked
          // again then, and polled only while the stream is down.
          listen(["device.status", "message.received", "message.updated", "message.edited",
                  "message.revoked"], function (type, data) {
            if (data.deviceId !== self.deviceId && data.id !== self.id) return;
            if (type === "device.status") self.statusPoller.now();
            else self.messagePoller.now();
          }, function (up) {
            var was = self.statusPoller.streamed;
            [self.statusPoller, self.messagePoller].forEach(function (poller) {
              poller.stream(up);
              if (up && !was && poller.etag !== null) poller.now();  // missed while down
            });
          });
          self.loadWebhook();
          self.deliveryPoller.run();
          self.statsPoller.run();
          self.loadSettings();
        },
        show: function (tab) {
          this.tab = tab;
          if (tab === "overview") this.statsPoller.now();
        },

        // status and linking
        onStatus: function (status) {
          if (!status) return;
          var words = statusWords(status);
          this.statusText = words.text; this.badge = words.badge;
          this.phone = status.phone || "";
          var was = this.loggedIn;
          this.loggedIn = status.status === "logged_in";
          this.statusPoller.every(this.loggedIn ? 3000 : 250);
          if (this.loggedIn && !was) { this.dropQr(); }
          if (!this.loggedIn && !this.qrUrl) this.fetchQr();
        },
        dropQr: function () {
          if (this.qrUrl) URL.revokeObjectURL(this.qrUrl);
          this.qrUrl = ""; this.qrEtag = null; this.countdownText = "";
        },
        fetchQr: function () {
          var self = this;
          if (self.qrLoading || self.loggedIn) return;
          self.qrLoading = true;
          call("GET", "/api/devices/" + self.id + "/qr", undefined, { etag: self.qrEtag })
            .then(function (answer) {
              if (answer.status === 200 && answer.data instanceof Blob) {
                if (self.qrUrl) URL.revokeObjectURL(self.qrUrl);
                self.qrUrl = URL.createObjectURL(answer.data);
                self.qrEtag = answer.etag; self.qrSeenAt = Date.now();
                // When the next code replaces it (seconds from now; WhatsApp's are ~20 s).
                var left = parseFloat(answer.headers.get("x-qr-expires-in"));
                self.qrExpiresAt = Date.now() + (isNaN(left) ? 20 : left) * 1000;
              }
            }).catch(function () {}).then(function () { self.qrLoading = false; self.tick(true); });
        },
        tick: function (fresh) {
          if (this.loggedIn || !this.qrUrl) return;
          var left = Math.max(0, Math.ceil((this.qrExpiresAt - Date.now()) / 1000));
          this.countdownText = t("Kode berganti dalam " + left + " detik", "The code changes in " + left + " s");
          // The next code once this one expires; and every 5 s anyway (a 304 while unchanged),
          // as a session that reconnects shows a new code early.
          var age = Math.floor((Date.now() - this.qrSeenAt) / 1000);
          if (!fresh && (left === 0 || age % 5 === 4)) this.fetchQr();
        },
        pair: function () {
          var self = this;
          self.pairCode = ""; self.error = ""; self.pairing = true;
          callPatiently("POST", "/api/devices/" + self.id + "/pair", { phone: self.pairPhone }).then(function (answer) {
            self.pairing = false;
            if (!answer.ok) { self.error = errorText(answer); return; }
            self.pairCode = answer.data.code;
            self.sandboxPhone = self.pairPhone;  // the sandbox's phone types the code in
          }, function () { self.pairing = false; self.error = t("Tidak dapat terhubung", "Cannot connect"); });
        },
        simulateScan: function () {
          var self = this;
          self.error = "";
          var body = { phone: self.sandboxPhone };
          if (self.pairCode) body.code = self.pairCode;
          callPatiently("POST", "/api/sandbox/devices/" + self.id + "/link", body).then(function (answer) {
            if (!answer.ok) self.error = errorText(answer);
          });
        },

        // overview
        onStats: function (stats) {
          this.stats = stats;
          this.lastEventText = stats.lastEventAt ? when(stats.lastEventAt) : t("belum ada", "none yet");
          var days = stats.days.map(function (d) { return Date.parse(d + "T00:00:00Z") / 1000; });
          var rates = stats.webhookSuccessRate.map(function (r) { return r === null ? null : r * 100; });
          var counts = function (u, min, max) { return [0, Math.max(1, max)]; };
          this.chart("messages", [days, stats.sent, stats.received],
                     [{ label: t("terkirim", "sent"), stroke: "#1f9d55", width: 2 },
                      { label: t("diterima", "received"), stroke: "#2563eb", width: 2 }], counts);
          this.chart("webhook", [days, rates],
                     [{ label: t("berhasil %", "succeeded %"), stroke: "#b45309", width: 2, spanGaps: false }],
                     [0, 100]);
        },
        chart: function (name, data, series, range) {
          var holder = this.$root.querySelector('[data-chart="' + name + '"]');
          if (!holder || !window.uPlot) return;
          if (this.charts[name]) { this.charts[name].setData(data); return; }
          var width = Math.max(260, Math.min(holder.clientWidth || 600, 720));
          this.charts[name] = new window.uPlot({
            width: width, height: 160, series: [{}].concat(series),
            scales: { x: { time: true }, y: { range: range } },
            axes: [{}, { size: 40 }], legend: { show: true }
          }, data, holder);
        },

        // messages
        onMessages: function (items) {
          this.messages = items.map(function (m) {
            var summary = m.text || (m.media ? (m.media.fileName || m.media.mimetype) : m.type);
            return { id: m.id, status: m.status, statusText: wordsFor(MESSAGE_STATUSES, m.status),
                     badge: STATUS_BADGES[m.status] || "badge-muted",
                     directionText: m.direction === "inbound" ? t("masuk", "in") : t("keluar", "out"),
                     peer: m.direction === "inbound" ? (m.from || m.chat) : (m.to || m.chat),
                     summary: summary, time: when(m.createdAt) };
          });
        },
        send: function () {
          var self = this;
          self.sendError = ""; self.sending = true;
          var file = self.$refs.file.files[0];
          var request;
          if (file) {
            var form = new FormData();
            var kind = file.type.indexOf("image/") === 0 ? "image"
              : file.type.indexOf("video/") === 0 ? "video"
              : file.type.indexOf("audio/") === 0 ? "audio" : "document";
            form.append("deviceId", self.deviceId); form.append("to", self.sendTo);
            form.append("type", kind); form.append("file", file, file.name);
            if (self.sendText) form.append("text", self.sendText);
            if (kind === "document") form.append("fileName", file.name);
            request = call("POST", "/api/messages/upload", form);
          } else {
            request = call("POST", "/api/messages", { deviceId: self.deviceId, to: self.sendTo, text: self.sendText });
          }
          request.then(function (answer) {
            self.sending = false;
            if (!answer.ok) { self.sendError = errorText(answer); return; }
            self.sendText = ""; self.$refs.file.value = "";
            self.messagePoller.now();
          });
        },

        // webhook
        loadWebhook: function () {
          var self = this;
          call("GET", "/api/devices/" + self.id + "/webhook").then(function (answer) {
            if (answer.ok) { self.webhook = answer.data; self.webhookUrl = answer.data.webhookUrl || ""; }
          });
        },
        saveWebhook: function () {
          var self = this;
          self.webhookNote = "";
          call("PATCH", "/api/devices/" + self.id + "/webhook", { webhookUrl: self.webhookUrl || null })
            .then(function (answer) {
              if (!answer.ok) { self.webhookNote = errorText(answer); return; }
              self.webhook = answer.data; self.webhookNote = t("Tersimpan", "Saved");
            });
        },
        toggleSecret: function () { this.secretShown = !this.secretShown; },
        copySecret: function () {
          var self = this;
          if (navigator.clipboard) {
            navigator.clipboard.writeText(self.webhook.secret || "").then(function () {
              self.webhookNote = t("Rahasia disalin", "Secret copied");
            }, function () { self.webhookNote = t("Tidak dapat menyalin", "Could not copy"); });
          }
        },
        rotateSecret: function () {
          var self = this;
          call("POST", "/api/devices/" + self.id + "/webhook/secret").then(function (answer) {
            if (!answer.ok) { self.webhookNote = errorText(answer); return; }
            self.webhook = answer.data;
            self.webhookNote = t("Rahasia baru; yang lama berlaku 24 jam lagi", "New secret; the old one signs for 24 h more");
          });
        },
        testWebhook: function () {
          var self = this;
          call("POST", "/api/devices/" + self.id + "/webhook/test").then(function (answer) {
            self.webhookNote = answer.ok ? t("Peristiwa uji dikirim", "Test event sent") : errorText(answer);
            self.deliveryPoller.now();
          });
        },
        onDeliveries: function (items) {
          this.deliveries = items.map(function (d) {
            var last = d.log && d.log.length ? d.log[d.log.length - 1] : null;
            var answer = d.lastStatusCode ? "HTTP " + d.lastStatusCode : (d.lastError || (last && last.error) || "");
            return { id: d.id, type: d.type, status: d.status, attempts: d.attempts, answer: answer,
                     badge: STATUS_BADGES[d.status] || "badge-muted", time: when(d.createdAt) };
          });
        },
        redeliver: function (d) {
          var self = this;
          call("POST", "/api/devices/" + self.id + "/webhook/deliveries/" + d.id + "/redeliver").then(function (answer) {
            if (!answer.ok) self.webhookNote = errorText(answer);
            self.deliveryPoller.now();
          });
        },

        // settings
        loadSettings: function () {
          var self = this;
          call("GET", "/api/devices/" + self.id + "/settings").then(function (answer) {
            if (answer.ok) {
              var s = answer.data;
              self.settings = { minDelayMs: s.minDelayMs, maxDelayMs: s.maxDelayMs, typing: s.typing,
                                perMinute: s.perMinute === null ? "" : String(s.perMinute), proxy: s.proxy || "",
                                rejectCalls: s.rejectCalls, rejectCallsMessage: s.rejectCallsMessage || "",
                                historySync: s.historySync, historySyncDays: s.historySyncDays };
            }
          });
        },
        saveSettings: function () {
          var self = this;
          self.settingsError = ""; self.settingsNote = "";
          var s = self.settings;
          var body = { minDelayMs: Number(s.minDelayMs), maxDelayMs: Number(s.maxDelayMs), typing: !!s.typing,
                       perMinute: String(s.perMinute).trim() === "" ? null : Number(s.perMinute),
                       proxy: s.proxy ? s.proxy : null, rejectCalls: !!s.rejectCalls,
                       rejectCallsMessage: s.rejectCallsMessage ? s.rejectCallsMessage : null,
                       historySync: !!s.historySync, historySyncDays: Number(s.historySyncDays) };
          call("PATCH", "/api/devices/" + self.id + "/settings", body).then(function (answer) {
            if (!answer.ok) { self.settingsError = errorText(answer); return; }
            self.settingsNote = t("Tersimpan", "Saved");
          });
        }
      };
    });
  });
})();
