// Yika's dashboard (看板): a client of the public GraphQL API like any other. Queries go to
// /graphql with the bearer token pasted at login (kept in sessionStorage, for this tab only);
// live updates come over /graphql/ws (graphql-transport-ws, the token in connection_init).
// Money is a decimal string in the API: it is shown as given, and summed (when a panel must)
// in integer cents with BigInt, never as a float. Charts use Number() for bar lengths only.
(function () {
  'use strict';

  var TOKEN_KEY = 'yika.dashboard.token';
  var LANG_KEY = 'yika.dashboard.lang';
  var READERS = ['CONTROLLER', 'AUDITOR', 'SUPERVISOR', 'ADMIN'];
  // How long after an event the "now" panels are read again (events in between coalesce).
  var LIVE_DELAY_MS = 200;
  // How often, at most, the period panels follow events; and everything is read again now and
  // then anyway (a shift turns overdue, the day changes).
  var PERIOD_EVERY_MS = 5000;
  var SLOW_EVERY_MS = 30000;
  var ALL_EVERY_MS = 60000;
  // The server runs at most two expensive requests per token at once (decision 0025): the
  // "now" panels read in one lane, the period panels in another, so that a long report never
  // holds up what a deposit changes.

  var TEXT = {
    zh: {
      title: '一卡通 看板', liveOn: '实时', liveOff: '离线', logout: '退出',
      loginTitle: '登录看板', token: '令牌 Token',
      loginHelp: '粘贴财务、主管或审计人员的令牌（yika staff add 打印的 yk_…）。令牌只保存在本标签页中。',
      login: '登录', badToken: '令牌无效或已失效。', notReader: '看板需要财务、审计、主管或管理员角色；当前角色：',
      openShifts: '当前班次 · 应有现金', today: '今日收支', flagged: '待查班次',
      revenue: '科室收入（执行科室）', periodToday: '今日', period7: '近7天', periodMonth: '本月',
      arrears: '住院欠费', hours: '时段分布：窗口业务与出院结算（本月，按小时）',
      reconcile: '对账异常', workload: '本月工作量', unsigned: '未日结 / 日结后变动',
      footer: 'Yika · 数据来自 GraphQL API ·', updated: '更新于',
      window: '窗口', cashier: '收费员', opened: '开班', transactions: '笔数', expectedCash: '应有现金',
      noOpenShifts: '没有开着的班次。', opening: '期初', deposits: '预交金', deductions: '扣费',
      reversals: '冲销', refunds: '退款', settlement: '出院结算', closing: '期末',
      balanced: '平衡 ✓', unbalanced: '不平衡 ✗', method: '支付方式', received: '收入', paidOut: '支出',
      net: '净额', cardsIssued: '发卡', admissions: '入院', discharges: '出院',
      scheme: '险种', count: '人次', insurancePays: '医保支付', patientPays: '病人补交', patientReceives: '退病人',
      department: '科室', deducted: '扣费', reversed: '冲销', revenueNone: '此期间没有扣费。',
      card: '卡号', patient: '病人', balance: '余额', lastActivity: '最近', arrearsNone: '没有欠费的住院账户。',
      arrearsTotal: '欠费合计', of: '共', shown: '显示',
      reasons: '原因', flaggedNone: '没有待查的班次。', status: '状态',
      NIGHT_SHIFT_ALONE: '夜班单人', HANDOVER_DIFFERS_FROM_COUNT: '交接与盘点不符', overdue: '超过结账时间未结',
      handOverOverdue: '交接逾期', variance: '长短款', receiptGaps: '票据缺号',
      OPEN: '营业中', CLOSED: '已结班', HANDED_OVER: '已交接',
      windowWork: '窗口业务', dischargesSeries: '出院结算', hour: '时',
      staff: '员工', acts: '业务量', weighted: '加权', reachesBase: '达基数', excess: '超额', quality: '质量扣分',
      average: '人均', base: '基数', workloadNone: '本月还没有业务。',
      ledger: '账面', statement: '对账单', difference: '差额', ledgerOnly: '单边（账有单无）',
      statementOnly: '单边（单有账无）', noStatement: '未导入对账单', reconciled: '已对平',
      date: '日期', unsignedNone: '本月与上月各日均已日结，且无变动。', notSigned: '未日结',
      changed: '日结后有变动', notBalanced: '不平衡', signedDays: '已日结',
      forbidden: '当前角色无权查看。', failed: '读取失败：',
      CASH: '现金', BANK_CARD: '银行卡', WECHAT: '微信', ALIPAY: '支付宝', INSURANCE_ACCOUNT: '医保个账', TRANSFER: '转账',
      SELF_PAY: '自费', EMPLOYEE_BASIC: '职工医保', RESIDENT_BASIC: '居民医保', OUT_OF_AREA: '异地医保',
      yes: '是', no: '否'
    },
    en: {
      title: 'Yika dashboard', liveOn: 'live', liveOff: 'offline', logout: 'Log out',
      loginTitle: 'Log in to the dashboard', token: 'Token',
      loginHelp: 'Paste a finance, supervisor or auditor token (the yk_… printed by yika staff add). It is kept in this tab only.',
      login: 'Log in', badToken: 'The token is not valid (any more).', notReader: 'The dashboard needs a CONTROLLER, AUDITOR, SUPERVISOR or ADMIN; this token is a ',
      openShifts: 'Open shifts · expected cash', today: 'Today', flagged: 'Shifts to review',
      revenue: 'Department revenue (as executed)', periodToday: 'today', period7: 'last 7 days', periodMonth: 'this month',
      arrears: 'Inpatients in arrears', hours: 'Hour of day: window work and discharges (this month)',
      reconcile: 'Reconciliation exceptions', workload: 'Workload this month', unsigned: 'Unsigned days / changed since signed',
      footer: 'Yika · figures from the GraphQL API ·', updated: 'updated',
      window: 'Window', cashier: 'Cashier', opened: 'Opened', transactions: 'Txns', expectedCash: 'Expected cash',
      noOpenShifts: 'No shift is open.', opening: 'Opening', deposits: 'Deposits', deductions: 'Deductions',
      reversals: 'Reversals', refunds: 'Refunds', settlement: 'Settlements', closing: 'Closing',
      balanced: 'balances ✓', unbalanced: 'does not balance ✗', method: 'Method', received: 'Received', paidOut: 'Paid out',
      net: 'Net', cardsIssued: 'Cards issued', admissions: 'Admissions', discharges: 'Discharges',
      scheme: 'Scheme', count: 'Count', insurancePays: 'Insurance', patientPays: 'Patient pays', patientReceives: 'Refunded',
      department: 'Department', deducted: 'Deducted', reversed: 'Reversed', revenueNone: 'No deductions in this period.',
      card: 'Card', patient: 'Patient', balance: 'Balance', lastActivity: 'Last', arrearsNone: 'No inpatient account is in arrears.',
      arrearsTotal: 'Arrears', of: 'of', shown: 'shown',
      reasons: 'Reasons', flaggedNone: 'No shift needs a look.', status: 'Status',
      NIGHT_SHIFT_ALONE: 'night shift alone', HANDOVER_DIFFERS_FROM_COUNT: 'hand-over differs from count', overdue: 'open past settlement time',
      handOverOverdue: 'hand-over overdue', variance: 'cash variance', receiptGaps: 'receipt gaps',
      OPEN: 'open', CLOSED: 'closed', HANDED_OVER: 'handed over',
      windowWork: 'Window work', dischargesSeries: 'Discharges', hour: 'h',
      staff: 'Staff', acts: 'Acts', weighted: 'Weighted', reachesBase: 'Base?', excess: 'Excess', quality: 'Quality ded.',
      average: 'average', base: 'base', workloadNone: 'Nothing done this month yet.',
      ledger: 'Ledger', statement: 'Statement', difference: 'Difference', ledgerOnly: 'Ledger only',
      statementOnly: 'Statement only', noStatement: 'no statement imported', reconciled: 'reconciled',
      date: 'Date', unsignedNone: 'Every day of this month and the last is signed and unchanged.', notSigned: 'not signed',
      changed: 'changed since signed', notBalanced: 'does not balance', signedDays: 'signed',
      forbidden: 'Your role may not read this.', failed: 'Could not read: ',
      CASH: 'Cash', BANK_CARD: 'Bank card', WECHAT: 'WeChat Pay', ALIPAY: 'Alipay', INSURANCE_ACCOUNT: 'Insurance account', TRANSFER: 'Transfer',
      SELF_PAY: 'Self-pay', EMPLOYEE_BASIC: 'Employee basic', RESIDENT_BASIC: 'Resident basic', OUT_OF_AREA: 'Out of area',
      yes: 'yes', no: 'no'
    }
  };

  var lang = localStorage.getItem(LANG_KEY) === 'en' ? 'en' : 'zh';
  function t(key) {
    var value = TEXT[lang][key];
    return value === undefined ? (TEXT.zh[key] === undefined ? key : TEXT.zh[key]) : value;
  }

  function meta(name) {
    var element = document.querySelector('meta[name="' + name + '"]');
    var value = element ? element.getAttribute('content') : '';
    return value && value.indexOf('{{') < 0 ? value : '';
  }
  var zone = meta('yika-time-zone') || Intl.DateTimeFormat().resolvedOptions().timeZone;

  // ---- money, in cents with BigInt (never a float) ----
  function cents(text) {
    var s = String(text);
    var negative = s.charAt(0) === '-';
    if (negative) s = s.slice(1);
    var parts = s.split('.');
    var fraction = ((parts[1] || '') + '00').slice(0, 2);
    var value = BigInt(parts[0] || '0') * 100n + BigInt(fraction);
    return negative ? -value : value;
  }
  function fromCents(value) {
    var negative = value < 0n;
    var abs = negative ? -value : value;
    var whole = (abs / 100n).toString();
    var fraction = (abs % 100n).toString().padStart(2, '0');
    return (negative ? '-' : '') + whole + '.' + fraction;
  }
  // "1234567.80" → "1,234,567.80": the string as given, grouped.
  function money(text) {
    if (text === null || text === undefined) return '—';
    var s = String(text);
    var sign = s.charAt(0) === '-' ? '-' : '';
    if (sign) s = s.slice(1);
    var parts = s.split('.');
    var grouped = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    return sign + grouped + (parts.length > 1 ? '.' + parts[1] : '');
  }
  function moneyCell(text) {
    var negative = text && String(text).charAt(0) === '-';
    return '<td class="money' + (negative ? ' neg' : '') + '">' + esc(money(text)) + '</td>';
  }
  function esc(value) {
    return String(value === null || value === undefined ? '' : value)
      .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;').replace(/'/g, '&#39;');
  }

  // ---- the hospital's calendar (its time zone, not the browser's) ----
  function partsAt(instant) {
    var parts = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit'
    }).formatToParts(instant);
    var out = {};
    parts.forEach(function (p) { out[p.type] = p.value; });
    return out;
  }
  function localDate(instant) {
    var p = partsAt(instant);
    return p.year + '-' + p.month + '-' + p.day;
  }
  function localTime(iso) {
    if (!iso) return '';
    var p = partsAt(new Date(iso));
    return p.month + '-' + p.day + ' ' + p.hour + ':' + p.minute;
  }
  function offsetAt(ms) {
    var p = partsAt(new Date(ms));
    return Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second) - ms;
  }
  // The instant a local date begins in the hospital's time zone, as RFC 3339.
  function startOf(date) {
    var ymd = date.split('-').map(Number);
    var guess = Date.UTC(ymd[0], ymd[1] - 1, ymd[2]);
    var at = guess - offsetAt(guess);
    at = guess - offsetAt(at);
    return new Date(at).toISOString();
  }
  function addDays(date, days) {
    var ymd = date.split('-').map(Number);
    return new Date(Date.UTC(ymd[0], ymd[1] - 1, ymd[2] + days)).toISOString().slice(0, 10);
  }
  function today() { return localDate(new Date()); }
  function monthOf(date) { return date.slice(0, 7); }
  function previousMonth(month) { return addDays(month + '-01', -1).slice(0, 7); }

  // ---- GraphQL over HTTP, two requests at a time ----
  var token = sessionStorage.getItem(TOKEN_KEY) || '';
  function Lane() { this.tail = Promise.resolve(); }
  Lane.prototype.run = function (task) {
    var result = this.tail.then(task, task);
    this.tail = result.catch(function () {});
    return result;
  };
  var NOW_LANE = new Lane();
  var PERIOD_LANE = new Lane();
  function gql(query, variables, bearer, lane) {
    return (lane || NOW_LANE).run(function () {
      return fetch('/graphql', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
          authorization: 'Bearer ' + (bearer || token)
        },
        body: JSON.stringify({ query: query, variables: variables || {} })
      }).then(function (response) {
        return response.json();
      }).then(function (body) {
        if (body.errors && body.errors.length) {
          var error = new Error(body.errors[0].message);
          error.code = body.errors[0].extensions && body.errors[0].extensions.code;
          throw error;
        }
        return body.data;
      });
    });
  }

  // ---- the panels ----
  function body(id) { return document.querySelector('#' + id + ' .body'); }
  function show(id, html) { body(id).innerHTML = html; }
  function failure(id, error) {
    if (error && error.code === 'UNAUTHENTICATED') { logout(t('badToken')); return; }
    var text = error && error.code === 'FORBIDDEN' ? t('forbidden') : t('failed') + (error && error.message);
    var target = body(id) || document.querySelector('#' + id);
    if (target) target.innerHTML = '<p class="notice">' + esc(text) + '</p>';
  }
  function table(headers, rows) {
    var head = headers.map(function (h) {
      var cls = h.charAt(0) === '$' ? ' class="money"' : (h.charAt(0) === '#' ? ' class="num"' : '');
      return '<th' + cls + '>' + esc(t(h.replace(/^[$#]/, ''))) + '</th>';
    }).join('');
    return '<table><thead><tr>' + head + '</tr></thead><tbody>' + rows.join('') + '</tbody></table>';
  }
  function num(n) { return '<td class="num">' + esc(n) + '</td>'; }
  function label(key) { return esc(t(key)); }

  var SHIFT_FIELDS = 'id window status openedAt cashier { name staffNo } expectedCash transactionCount ' +
    'overdue handOverOverdue reviewReasons variance varianceResolution receiptGaps';
  // Shifts to review: every open one, every closed one not yet handed over, and those opened
  // today or yesterday (last night's shift, a variance found at yesterday's close).
  var SHIFTS = 'query($today: Date!, $yesterday: Date!) {' +
    ' open: shifts(filter: { status: OPEN }, first: 100) { totalCount edges { node { ' + SHIFT_FIELDS + ' } } }' +
    ' closed: shifts(filter: { status: CLOSED }, first: 100) { edges { node { ' + SHIFT_FIELDS + ' } } }' +
    ' todays: shifts(filter: { date: $today }, first: 100) { edges { node { ' + SHIFT_FIELDS + ' } } }' +
    ' yesterdays: shifts(filter: { date: $yesterday }, first: 100) { edges { node { ' + SHIFT_FIELDS + ' } } } }';

  function loadShifts() {
    return gql(SHIFTS, { today: today(), yesterday: addDays(today(), -1) }).then(function (data) {
      var open = data.open.edges.map(function (e) { return e.node; });
      open.sort(function (a, b) { return a.window.localeCompare(b.window, 'zh'); });
      show('p-shifts', open.length === 0 ? '<p class="notice">' + label('noOpenShifts') + '</p>' :
        table(['window', 'cashier', 'opened', '#transactions', '$expectedCash'], open.map(function (s) {
          return '<tr data-shift="' + esc(s.id) + '"><td>' + esc(s.window) + '</td><td>' + esc(s.cashier.name) +
            ' <span class="sub">' + esc(s.cashier.staffNo) + '</span></td><td>' + esc(localTime(s.openedAt)) +
            '</td>' + num(s.transactionCount) + moneyCell(s.expectedCash) + '</tr>';
        })));
      var seen = {};
      var flagged = [];
      [data.open, data.closed, data.todays, data.yesterdays].forEach(function (page) {
        page.edges.forEach(function (e) {
          var s = e.node;
          if (seen[s.id]) return;
          seen[s.id] = true;
          var reasons = s.reviewReasons.slice();
          if (s.overdue) reasons.push('overdue');
          if (s.handOverOverdue) reasons.push('handOverOverdue');
          if (s.variance && cents(s.variance) !== 0n && !s.varianceResolution) reasons.push('variance');
          if (s.receiptGaps.length) reasons.push('receiptGaps');
          if (reasons.length) flagged.push({ shift: s, reasons: reasons });
        });
      });
      show('p-flagged', flagged.length === 0 ? '<p class="notice">' + label('flaggedNone') + '</p>' :
        table(['window', 'cashier', 'status', 'reasons'], flagged.map(function (f) {
          var s = f.shift;
          var chips = f.reasons.map(function (r) {
            var extra = r === 'variance' ? ' ' + money(s.variance) : '';
            return '<span class="chip' + (r === 'overdue' || r === 'handOverOverdue' ? ' warn' : '') + '">' +
              label(r) + esc(extra) + '</span>';
          }).join('');
          return '<tr><td>' + esc(s.window) + '</td><td>' + esc(s.cashier.name) + '</td><td>' + label(s.status) +
            ' <span class="sub">' + esc(localTime(s.openedAt)) + '</span></td><td>' + chips + '</td></tr>';
        })));
    }, function (error) { failure('p-shifts', error); failure('p-flagged', error); });
  }

  var DAILY = 'query($date: Date!) { dailyReport(date: $date) { date openingLiability deposits deductions ' +
    'reversals refunds settlementEffect closingLiability balances byMethod { method amount } ' +
    'byCashier { method received paidOut } cardsIssued admissions discharges ' +
    'settlementsByScheme { scheme count insurancePays patientPays patientReceives } } }';

  function loadToday() {
    return gql(DAILY, { date: today() }).then(function (data) {
      var r = data.dailyReport;
      var check = document.getElementById('check');
      check.className = 'check ' + (r.balances ? 'ok' : 'bad');
      check.textContent = r.balances ? t('balanced') : t('unbalanced');
      var figure = function (key, value, id) {
        return '<div class="figure"><div class="label">' + label(key) + '</div><div class="value" id="' + id + '">' +
          esc(money(value)) + '</div></div>';
      };
      var html = '<div class="figures">' + figure('deposits', r.deposits, 'f-deposits') +
        figure('deductions', r.deductions, 'f-deductions') + figure('refunds', r.refunds, 'f-refunds') +
        figure('reversals', r.reversals, 'f-reversals') + figure('settlement', r.settlementEffect, 'f-settlement') +
        figure('closing', r.closingLiability, 'f-closing') + '</div>';
      html += '<div class="equation">' + label('opening') + ' ' + esc(money(r.openingLiability)) + ' + ' +
        label('deposits') + ' ' + esc(money(r.deposits)) + ' − ' + label('deductions') + ' ' + esc(money(r.deductions)) +
        ' + ' + label('reversals') + ' ' + esc(money(r.reversals)) + ' − ' + label('refunds') + ' ' +
        esc(money(r.refunds)) + ' − ' + label('settlement') + ' ' + esc(money(r.settlementEffect)) + ' = ' +
        label('closing') + ' ' + esc(money(r.closingLiability)) + '</div>';
      // Received and paid out per method, summed over the cashiers in cents.
      var byMethod = {};
      var order = [];
      var ensure = function (method) {
        if (!byMethod[method]) { byMethod[method] = { received: 0n, paidOut: 0n, net: null }; order.push(method); }
        return byMethod[method];
      };
      r.byCashier.forEach(function (c) {
        var m = ensure(c.method);
        m.received += cents(c.received);
        m.paidOut += cents(c.paidOut);
      });
      r.byMethod.forEach(function (m) { ensure(m.method).net = m.amount; });
      html += order.length === 0 ? '' : table(['method', '$received', '$paidOut', '$net'], order.map(function (method) {
        var m = byMethod[method];
        return '<tr><td>' + label(method) + '</td>' + moneyCell(fromCents(m.received)) + moneyCell(fromCents(m.paidOut)) +
          moneyCell(m.net === null ? fromCents(m.received - m.paidOut) : m.net) + '</tr>';
      }));
      html += '<p class="sub">' + label('cardsIssued') + ' ' + esc(r.cardsIssued) + ' · ' + label('admissions') + ' ' +
        esc(r.admissions) + ' · ' + label('discharges') + ' ' + esc(r.discharges) + '</p>';
      if (r.settlementsByScheme.length) {
        html += table(['scheme', '#count', '$insurancePays', '$patientPays', '$patientReceives'],
          r.settlementsByScheme.map(function (s) {
            return '<tr><td>' + label(s.scheme) + '</td>' + num(s.count) + moneyCell(s.insurancePays) +
              moneyCell(s.patientPays) + moneyCell(s.patientReceives) + '</tr>';
          }));
      }
      show('p-today', html);
    }, function (error) { failure('p-today', error); });
  }

  var ARREARS = '{ accounts(filter: { kind: INPATIENT_DEPOSIT, inArrears: true }, first: 100) { totalCount ' +
    'edges { node { cardNo patientId balance lastActivityAt } } } }';

  function loadArrears() {
    return gql(ARREARS).then(function (data) {
      var page = data.accounts;
      var rows = page.edges.map(function (e) { return e.node; });
      rows.sort(function (a, b) { var d = cents(a.balance) - cents(b.balance); return d < 0n ? -1 : (d > 0n ? 1 : 0); });
      var total = rows.reduce(function (sum, a) { return sum + cents(a.balance); }, 0n);
      show('p-arrears', rows.length === 0 ? '<p class="notice">' + label('arrearsNone') + '</p>' :
        '<p class="sub">' + label('arrearsTotal') + ' <b class="neg">' + esc(money(fromCents(total))) + '</b> · ' +
        label('shown') + ' ' + rows.length + ' ' + label('of') + ' ' + esc(page.totalCount) + '</p>' +
        table(['card', 'patient', '$balance', 'lastActivity'], rows.map(function (a) {
          return '<tr><td>' + esc(a.cardNo) + '</td><td>' + esc(a.patientId) + '</td>' + moneyCell(a.balance) +
            '<td>' + esc(localTime(a.lastActivityAt)) + '</td></tr>';
        })));
    }, function (error) { failure('p-arrears', error); });
  }

  var charts = {};
  function chart(id, config) {
    if (typeof Chart === 'undefined') return;
    if (charts[id]) {
      charts[id].data = config.data;
      charts[id].options = config.options;
      charts[id].update('none');
    } else {
      charts[id] = new Chart(document.getElementById(id), config);
    }
  }

  var REVENUE = 'query($from: DateTime!, $to: DateTime!) { departmentRevenue(from: $from, to: $to) { ' +
    'department deducted reversed net count } }';

  function loadRevenue() {
    var period = document.getElementById('revenue-period').value;
    var day = today();
    var from = period === 'today' ? day : (period === 'week' ? addDays(day, -6) : monthOf(day) + '-01');
    return gql(REVENUE, { from: startOf(from), to: startOf(addDays(day, 1)) }, null, PERIOD_LANE).then(function (data) {
      var rows = data.departmentRevenue.slice();
      rows.sort(function (a, b) { var d = cents(b.net) - cents(a.net); return d < 0n ? -1 : (d > 0n ? 1 : 0); });
      chart('revenue-chart', {
        type: 'bar',
        data: {
          labels: rows.map(function (r) { return r.department; }),
          datasets: [{ label: t('net'), data: rows.map(function (r) { return Number(r.net); }), backgroundColor: '#2f6fae',
            maxBarThickness: 26 }]
        },
        options: {
          indexAxis: 'y', maintainAspectRatio: false, animation: false,
          scales: { y: { ticks: { autoSkip: false } } },
          plugins: {
            legend: { display: false },
            // The tooltip shows the API's string, not the bar's number.
            tooltip: { callbacks: { label: function (c) { return t('net') + ' ' + money(rows[c.dataIndex].net); } } }
          }
        }
      });
      show('p-revenue', rows.length === 0 ? '<p class="notice">' + label('revenueNone') + '</p>' :
        table(['department', '#count', '$deducted', '$reversed', '$net'], rows.map(function (r) {
          return '<tr><td>' + esc(r.department) + '</td>' + num(r.count) + moneyCell(r.deducted) + moneyCell(r.reversed) +
            moneyCell(r.net) + '</tr>';
        })));
    }, function (error) { failure('p-revenue', error); });
  }

  var HOURS = 'query($from: Date!, $to: Date!) { workloadByHour(from: $from, to: $to) { hour transactions ' +
    'byType { businessType count } } }';

  function loadHours() {
    var day = today();
    return gql(HOURS, { from: monthOf(day) + '-01', to: day }, null, PERIOD_LANE).then(function (data) {
      var work = new Array(24).fill(0);
      var discharges = new Array(24).fill(0);
      data.workloadByHour.forEach(function (b) {
        var d = b.byType.reduce(function (n, c) {
          return n + (c.businessType.indexOf('DISCHARGE') === 0 ? c.count : 0);
        }, 0);
        discharges[b.hour] = d;
        work[b.hour] = b.transactions - d;
      });
      chart('hours-chart', {
        type: 'bar',
        data: {
          labels: work.map(function (_, h) { return String(h).padStart(2, '0'); }),
          datasets: [
            { label: t('windowWork'), data: work, backgroundColor: '#7aa6d6', stack: 'h' },
            { label: t('dischargesSeries'), data: discharges, backgroundColor: '#d9822b', stack: 'h' }
          ]
        },
        options: {
          maintainAspectRatio: false, animation: false,
          scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
          plugins: { legend: { position: 'top', labels: { boxWidth: 12 } } }
        }
      });
    }, function (error) { failure('p-hours', error); });
  }

  var WORKLOAD = 'query($from: Date!, $to: Date!) { workload(from: $from, to: $to) { average baseRatio base ' +
    'rows { staff { name staffNo } counts { count } weighted reachesBase excess qualityDeductions } } }';
  function decimal(x) { return (Math.round(x * 100) / 100).toFixed(2); }

  function loadWorkload() {
    var day = today();
    return gql(WORKLOAD, { from: monthOf(day) + '-01', to: day }, null, PERIOD_LANE).then(function (data) {
      var w = data.workload;
      var rows = w.rows.slice().sort(function (a, b) { return b.weighted - a.weighted; });
      show('p-workload', rows.length === 0 ? '<p class="notice">' + label('workloadNone') + '</p>' :
        '<p class="sub">' + label('average') + ' ' + esc(decimal(w.average)) + ' · ' + label('base') + ' (' +
        esc(Math.round(w.baseRatio * 100)) + '%) ' + esc(decimal(w.base)) + '</p>' +
        table(['staff', '#acts', '#weighted', 'reachesBase', '#excess', '#quality'], rows.map(function (r) {
          var acts = r.counts.reduce(function (n, c) { return n + c.count; }, 0);
          return '<tr><td>' + esc(r.staff.name) + ' <span class="sub">' + esc(r.staff.staffNo) + '</span></td>' +
            num(acts) + num(decimal(r.weighted)) + '<td>' + label(r.reachesBase ? 'yes' : 'no') + '</td>' +
            num(decimal(r.excess)) + num(decimal(r.qualityDeductions)) + '</tr>';
        })));
    }, function (error) { failure('p-workload', error); });
  }

  var METHODS = ['WECHAT', 'ALIPAY', 'BANK_CARD'];
  var RECON_FIELDS = 'ledgerTotal statementTotal difference clearingBalance matchedCount ' +
    'ledgerOnly { receiptNo } statementOnly { externalRef } lines { externalRef }';
  var RECONCILE = 'query($date: Date!) {' + METHODS.map(function (m) {
    return ' ' + m + ': reconciliation(method: ' + m + ', date: $date) { ' + RECON_FIELDS + ' }';
  }).join('') + ' }';

  function loadReconcile() {
    var input = document.getElementById('reconcile-date');
    if (!input.value) input.value = addDays(today(), -1);
    return gql(RECONCILE, { date: input.value }, null, PERIOD_LANE).then(function (data) {
      show('p-reconcile', table(['method', '$ledger', '$statement', '$difference', 'reasons'], METHODS.map(function (m) {
        var r = data[m];
        var notes = [];
        if (r.lines.length === 0 && r.ledgerOnly.length) notes.push('<span class="chip warn">' + label('noStatement') + '</span>');
        else {
          if (r.ledgerOnly.length) notes.push('<span class="chip">' + label('ledgerOnly') + ' ' + r.ledgerOnly.length + '</span>');
          if (r.statementOnly.length) notes.push('<span class="chip">' + label('statementOnly') + ' ' + r.statementOnly.length + '</span>');
        }
        if (!notes.length) notes.push('<span class="sub">' + label('reconciled') + '</span>');
        return '<tr><td>' + label(m) + '</td>' + moneyCell(r.ledgerTotal) + moneyCell(r.statementTotal) +
          moneyCell(r.difference) + '<td>' + notes.join('') + '</td></tr>';
      })));
    }, function (error) { failure('p-reconcile', error); });
  }

  var MONTHS = 'query($month: String!, $previous: String!) {' +
    ' current: monthlyReport(month: $month) { ...M } previous: monthlyReport(month: $previous) { ...M } }' +
    ' fragment M on MonthlyReport { signedDays days { date signed changedSinceSigned balances openingLiability' +
    ' closingLiability deposits deductions refunds settlementEffect } }';
  // A day before the ledger held anything (nothing owed, nothing moved) needs no close.
  function empty(d) {
    return [d.openingLiability, d.closingLiability, d.deposits, d.deductions, d.refunds, d.settlementEffect]
      .every(function (m) { return cents(m) === 0n; });
  }

  function loadUnsigned() {
    var day = today();
    var month = monthOf(day);
    return gql(MONTHS, { month: month, previous: previousMonth(month) }, null, PERIOD_LANE).then(function (data) {
      var findings = [];
      [data.previous, data.current].forEach(function (m) {
        m.days.forEach(function (d) {
          var notes = [];
          if (!d.signed && d.date < day && !empty(d)) notes.push(['notSigned', 'warn']);
          if (d.changedSinceSigned) notes.push(['changed', '']);
          if (!d.balances) notes.push(['notBalanced', '']);
          if (notes.length) findings.push({ date: d.date, notes: notes });
        });
      });
      findings.reverse();
      var signed = data.current.signedDays + '/' + data.current.days.length;
      show('p-unsigned', '<p class="sub">' + label('signedDays') + ' ' + esc(signed) + ' (' + esc(month) + ')</p>' +
        (findings.length === 0 ? '<p class="notice">' + label('unsignedNone') + '</p>' :
          table(['date', 'reasons'], findings.map(function (f) {
            return '<tr><td>' + esc(f.date) + '</td><td>' + f.notes.map(function (n) {
              return '<span class="chip ' + n[1] + '">' + label(n[0]) + '</span>';
            }).join('') + '</td></tr>';
          }))));
    }, function (error) { failure('p-unsigned', error); });
  }

  // ---- refreshing: the "now" panels follow every event; the others less often ----
  var FAST = [loadToday, loadShifts, loadArrears];
  var PERIOD = [loadRevenue, loadHours, loadWorkload];
  var SLOW = [loadReconcile, loadUnsigned];
  var lastPeriod = 0;
  var lastSlow = 0;
  var liveTimer = null;

  function stamp() {
    document.getElementById('updated').textContent = t('updated') + ' ' + localTime(new Date().toISOString()) +
      ' (' + zone + ')';
  }
  // A group of panels read together; asked again while it reads, it reads once more after.
  function group(loads) {
    var busy = false;
    var again = false;
    return function read() {
      if (busy) { again = true; return; }
      busy = true;
      Promise.all(loads.map(function (load) { return load(); })).then(function () {
        busy = false;
        stamp();
        if (again) { again = false; read(); }
      });
    };
  }
  var readNow = group(FAST);
  var readPeriod = group(PERIOD);
  var readSlow = group(SLOW);
  function refresh(all) {
    if (!token) return;
    var now = Date.now();
    document.getElementById('today-label').textContent = today();
    readNow();
    if (all || now - lastPeriod >= PERIOD_EVERY_MS) { lastPeriod = now; readPeriod(); } else later('period');
    if (all || now - lastSlow >= SLOW_EVERY_MS) { lastSlow = now; readSlow(); } else later('slow');
  }
  // The period panels skipped an event: read them when their interval is up, so the last
  // events of a burst show there too.
  var timers = {};
  function later(which) {
    if (timers[which]) return;
    var wait = which === 'period' ? lastPeriod + PERIOD_EVERY_MS : lastSlow + SLOW_EVERY_MS;
    timers[which] = setTimeout(function () {
      timers[which] = null;
      if (!token) return;
      if (which === 'period') { lastPeriod = Date.now(); readPeriod(); } else { lastSlow = Date.now(); readSlow(); }
    }, Math.max(0, wait - Date.now()));
  }
  // An event arrived: read the panels again LIVE_DELAY_MS later; more events meanwhile coalesce.
  function schedule() {
    if (liveTimer) return;
    liveTimer = setTimeout(function () { liveTimer = null; refresh(false); }, LIVE_DELAY_MS);
  }

  var live = null;
  function setLive(on) {
    var badge = document.getElementById('live');
    badge.className = 'live ' + (on ? 'on' : 'off');
    badge.textContent = on ? t('liveOn') : t('liveOff');
    badge.setAttribute('data-t', on ? 'liveOn' : 'liveOff');
  }
  function connect() {
    if (typeof graphqlWs === 'undefined') return;
    var scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
    live = graphqlWs.createClient({
      url: scheme + location.host + '/graphql/ws',
      connectionParams: function () { return { Authorization: 'Bearer ' + token }; },
      lazy: false,
      keepAlive: 15000,
      retryAttempts: 1000000,
      shouldRetry: function () { return Boolean(token); },
      on: {
        connected: function () { setLive(true); refresh(true); },
        // Closed: a network blip (graphql-ws reconnects), or the token was revoked, rotated or
        // expired, which ends the session at once.
        closed: function () {
          setLive(false);
          if (token) gql('{ me { role } }').catch(function (error) { if (error.code === 'UNAUTHENTICATED') logout(t('badToken')); });
        }
      }
    });
    live.subscribe({ query: 'subscription { ledgerEvents { position type } }' }, {
      next: function () { schedule(); },
      error: function () { setLive(false); },
      complete: function () { setLive(false); }
    });
  }

  // ---- login, language ----
  function applyLanguage() {
    document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
    document.querySelectorAll('[data-t]').forEach(function (element) {
      element.textContent = t(element.getAttribute('data-t'));
    });
    document.getElementById('lang').textContent = lang === 'en' ? '中文' : 'English';
    document.title = t('title') + ' · Yika';
  }
  var everything = null;
  function enter(me) {
    document.getElementById('login').hidden = true;
    document.getElementById('board').hidden = false;
    document.getElementById('logout').hidden = false;
    document.getElementById('who').textContent = me.name + ' (' + me.staffNo + ', ' + me.role + ')';
    refresh(true);
    connect();
    everything = setInterval(function () { refresh(true); }, ALL_EVERY_MS);
  }
  function logout(message) {
    token = '';
    sessionStorage.removeItem(TOKEN_KEY);
    if (live) { live.dispose(); live = null; }
    if (everything) { clearInterval(everything); everything = null; }
    setLive(false);
    document.getElementById('board').hidden = true;
    document.getElementById('logout').hidden = true;
    document.getElementById('who').textContent = '';
    document.getElementById('login').hidden = false;
    document.getElementById('login-error').textContent = message || '';
  }
  function tryToken(candidate) {
    return gql('{ me { name staffNo role } }', {}, candidate).then(function (data) {
      if (READERS.indexOf(data.me.role) < 0) {
        logout(t('notReader') + data.me.role);
        return;
      }
      token = candidate;
      sessionStorage.setItem(TOKEN_KEY, token);
      enter(data.me);
    }, function (error) {
      logout(error.code === 'UNAUTHENTICATED' ? t('badToken') : t('failed') + error.message);
    });
  }

  function start() {
    var hospital = meta('yika-hospital');
    document.getElementById('hospital').textContent = hospital;
    applyLanguage();
    document.getElementById('lang').addEventListener('click', function () {
      lang = lang === 'en' ? 'zh' : 'en';
      localStorage.setItem(LANG_KEY, lang);
      applyLanguage();
      Object.keys(charts).forEach(function (id) { charts[id].destroy(); delete charts[id]; });
      refresh(true);
    });
    document.getElementById('logout').addEventListener('click', function () { logout(''); });
    document.getElementById('login-form').addEventListener('submit', function (event) {
      event.preventDefault();
      var candidate = document.getElementById('token').value.trim().replace(/^Bearer\s+/i, '');
      document.getElementById('token').value = '';
      if (candidate) tryToken(candidate);
    });
    document.getElementById('revenue-period').addEventListener('change', function () { loadRevenue(); });
    document.getElementById('reconcile-date').addEventListener('change', function () { loadReconcile(); });
    if (token) tryToken(token); else logout('');
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
}());
