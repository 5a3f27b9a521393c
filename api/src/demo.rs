//! `yika demo`: a simulated hospital written into a new data directory through the real
//! command path (the application layer every GraphQL mutation goes through, so every rule,
//! event, receipt and view is real), reproducible from its seed.
//!
//! The simulation keeps its own model of what it did (balances, drawers, the day's non-cash
//! movements) only to choose what to do next: what a cashier counts, what a patient tops up,
//! what insurance pays. Every figure anyone reads comes from the ledger.
//!
//! Time is simulated (decision 0032): the event store and the application read one clock that
//! the simulation moves forward to each act's moment, so the history lands on the days it
//! simulates. It always ends before the real now, so the log's recorded times keep rising when
//! `yika serve` takes over with the system's clock.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Datelike as _, Duration, NaiveDate, NaiveTime, TimeZone as _, Utc};
use serde::Serialize;
use yika_domain::{
    AccountId, AccountKind, Actor, Amount, DeductionId, Direction, InsuranceScheme, Money,
    PaymentMethod, ReversalReason, Role, ShiftId, StatementLine, VarianceResolution,
};
use yika_store::{Clock, SqliteEventStore};

use crate::anyhow_like::Result;
use crate::application::{
    App, Deduct, Deposit, OpenAccount, Refund, RegisterStaff, Reverse, SettleDischarge,
};
use crate::calendar::Calendar;
use crate::error::ApiError;
use crate::startup::{EVENTS_FILE, Following, Locations, READ_FILE};

/// How big a hospital to simulate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    /// A ward or two and a handful of windows: a few thousand events a day, seconds to make.
    Small,
    /// The seeds' hospital: about 3,000 beds, 300+ discharges a day, seven combined windows
    /// and two insurance windows, thousands of outpatient visits.
    Hospital,
}

/// The figures of a scale.
struct Figures {
    beds: usize,
    discharges: usize,
    visits: usize,
    combined_windows: usize,
    insurance_windows: usize,
    float_fen: i64,
}

impl Scale {
    fn figures(self) -> Figures {
        match self {
            Scale::Small => Figures {
                beds: 40,
                discharges: 5,
                visits: 80,
                combined_windows: 2,
                insurance_windows: 1,
                float_fen: 200_000,
            },
            Scale::Hospital => Figures {
                beds: 3_000,
                discharges: 312,
                visits: 3_000,
                combined_windows: 7,
                insurance_windows: 2,
                float_fen: 500_000,
            },
        }
    }
}

/// What `yika demo` is asked to make.
#[derive(Clone, Debug)]
pub struct DemoSettings {
    /// The new data directory.
    pub locations: Locations,
    /// Whole days simulated, ending yesterday (local).
    pub days: u32,
    /// The simulation's seed: the same seed, days and scale make the same business.
    pub seed: u64,
    /// How big a hospital.
    pub scale: Scale,
    /// The hospital's calendar (its time zone decides the local days).
    pub calendar: Calendar,
}

/// The most days a demo simulates.
pub const MAX_DAYS: u32 = 62;

/// What the demo made: the days, the events, and a token per role.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DemoSummary {
    /// The first simulated day.
    pub first_day: NaiveDate,
    /// The last simulated day (yesterday).
    pub last_day: NaiveDate,
    /// The days closed (日结) and signed.
    pub closed_days: Vec<NaiveDate>,
    /// Events in the log.
    pub events: u64,
    /// The night shift still open (its cashier's token is `tokens.CASHIER`).
    pub open_shift: ShiftId,
    /// The staff number of the cashier on that night shift.
    pub open_shift_cashier: String,
    /// One staff member per role: role, staff number, name, token.
    pub staff: Vec<DemoStaff>,
}

/// A staff member the demo made, with their token (shown once).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DemoStaff {
    /// Their role.
    pub role: Role,
    /// Their staff number.
    pub staff_no: String,
    /// Their name.
    pub name: String,
    /// Their department (DEPARTMENT role).
    pub department: Option<String>,
    /// Their bearer token.
    pub token: String,
}

/// The simulated clock: microseconds since the epoch, moved forward by the simulation.
#[derive(Clone)]
struct SimulatedTime(Arc<AtomicI64>);

impl SimulatedTime {
    fn clock(&self) -> Clock {
        let now = self.0.clone();
        Clock::simulated(move || {
            DateTime::from_timestamp_micros(now.load(Ordering::SeqCst)).unwrap_or_default()
        })
    }

    fn set(&self, at: DateTime<Utc>) {
        self.0.fetch_max(at.timestamp_micros(), Ordering::SeqCst);
    }
}

/// Fills `settings.locations.data` with a simulated hospital. Refuses a directory that holds a
/// ledger already, and a server event or read store (the demo writes the embedded default).
pub async fn run(settings: &DemoSettings) -> Result<DemoSummary> {
    let locations = &settings.locations;
    if locations.event_store.is_some() || locations.read_store.is_some() {
        return Err(
            "yika demo fills a data directory (the embedded SQLite files); drop --event-store and --read-store"
                .to_owned(),
        );
    }
    if !locations.is_new() {
        return Err(format!(
            "{} holds a ledger already: yika demo only fills a new data directory",
            locations.data.display()
        ));
    }
    if !(1..=MAX_DAYS).contains(&settings.days) {
        return Err(format!("--days must be 1 to {MAX_DAYS}"));
    }
    let calendar = settings.calendar;
    let today = calendar.today();
    let first_day = today - Duration::days(i64::from(settings.days));
    let time = SimulatedTime(Arc::new(AtomicI64::new(0)));
    time.set(calendar.day(first_day).0);

    std::fs::create_dir_all(&locations.data).map_err(|e| {
        format!(
            "cannot create data directory {}: {e}",
            locations.data.display()
        )
    })?;
    let events = Arc::new(
        SqliteEventStore::open_with_clock(&locations.data.join(EVENTS_FILE), time.clock())
            .await
            .map_err(|e| format!("event store: {e}"))?,
    );
    let read = yika_projections::ReadStore::open(&locations.data.join(READ_FILE))
        .await
        .map_err(|e| format!("read store: {e}"))?;
    let stores = crate::startup::Stores {
        events: events.clone(),
        read: read.clone(),
    };
    let (app, runner) = crate::startup::application(&stores);
    // Commands do not wait for the views one by one; the close of a day and the import of a
    // statement wait for them (they read them), and the end waits for everything.
    let app = app.offline().with_clock(time.clock());
    let following = Following::start(runner)?;
    let result = Hospital::new(settings, app.clone(), time, first_day)
        .simulate()
        .await;
    let head = app
        .store
        .head_position()
        .await
        .map_err(|e| format!("event store: {e}"))?;
    app.read
        .wait_for(head, std::time::Duration::from_secs(600))
        .await;
    following.stop().await;
    stores.close().await;
    let (staff, (open_shift, open_shift_cashier), closed_days) = result?;
    Ok(DemoSummary {
        first_day,
        last_day: today - Duration::days(1),
        closed_days,
        events: head,
        open_shift,
        open_shift_cashier,
        staff,
    })
}

/// A card or an inpatient deposit account, as the simulation remembers it.
#[derive(Default)]
struct Patient {
    card_no: String,
    patient_id: String,
    account: Option<AccountId>,
    balance: Money,
    deposited: Money,
    charges: Money,
    scheme: Option<InsuranceScheme>,
    /// The day it was admitted (inpatients).
    admitted: usize,
    closed: bool,
    /// Deductions not yet reversed: department, id, amount, the local date of the deduction.
    deductions: Vec<(String, DeductionId, Money, NaiveDate)>,
}

/// A shift's drawer as the simulation remembers it.
struct Drawer {
    id: ShiftId,
    cashier: usize,
    cash: Money,
    other: BTreeMap<PaymentMethod, Money>,
    variance: Money,
}

/// A non-cash movement of the day, for the statements.
struct Movement {
    method: PaymentMethod,
    external_ref: String,
    amount: Money,
    direction: Direction,
    at: DateTime<Utc>,
}

/// Where money crosses: a combined window, an insurance window, or the night window.
#[derive(Clone, Copy, Debug)]
enum Window {
    Combined(usize),
    Insurance(usize),
}

/// One thing that happens at a moment.
enum Act {
    OpenDayShifts,
    CloseDayShifts,
    OpenNightShift,
    CloseNightShift,
    ResolveVariances,
    ImportStatements(NaiveDate),
    CloseDay(NaiveDate),
    SurpriseCount(usize),
    VoidReceipt(usize),
    QualityDeduction(usize, i64, &'static str),
    LateCorrection(NaiveDate),
    /// A card issued, or an inpatient deposit account opened at admission (a patient with an
    /// insurance scheme), with its first deposit.
    Open {
        patient: usize,
        window: Window,
        amount: Money,
        method: PaymentMethod,
    },
    TopUpCard {
        patient: usize,
        window: Window,
        method: PaymentMethod,
    },
    Deduct {
        patient: usize,
        department: &'static str,
        item: (&'static str, &'static str),
        amount: Money,
    },
    Reverse {
        patient: usize,
        department: &'static str,
        reason: ReversalReason,
    },
    ReturnCard {
        patient: usize,
        window: Window,
    },
    TopUpDeposit {
        patient: usize,
        window: Window,
        method: PaymentMethod,
    },
    Discharge {
        patient: usize,
        window: Window,
    },
}

/// Registration at the kiosk, executed by the registration office.
const REGISTRATION: &str = "门诊挂号";
const LAB: &str = "检验科";
const IMAGING: &str = "放射科";
const PHARMACY: &str = "门诊药房";
const EMERGENCY: &str = "急诊科";
const INPATIENT_PHARMACY: &str = "住院药房";
const WARDS: [&str; 4] = ["心内科病区", "骨科病区", "普外科病区", "呼吸科病区"];
const DEPARTMENTS: [&str; 10] = [
    REGISTRATION,
    LAB,
    IMAGING,
    PHARMACY,
    EMERGENCY,
    INPATIENT_PHARMACY,
    WARDS[0],
    WARDS[1],
    WARDS[2],
    WARDS[3],
];

/// What a department charges for: a few priced items, or one item priced within a range (yuan).
enum Menu {
    Priced(&'static [(&'static str, &'static str, i64)]),
    Ranged(&'static str, &'static str, std::ops::Range<i64>),
}

/// A service an outpatient may receive after arriving: how often, how many minutes later, from
/// which department, at what price, and how often it is given back (and why).
struct Service {
    percent: u8,
    after: i64,
    department: &'static str,
    menu: Menu,
    reversed: Option<(u8, ReversalReason)>,
}

/// A day visit: registration at the kiosk, then the laboratory, imaging and the pharmacy as
/// they execute; a few exams are cancelled and a few drugs returned.
const DAY_SERVICES: [Service; 4] = [
    Service {
        percent: 100,
        after: 2,
        department: REGISTRATION,
        menu: Menu::Priced(&[
            ("REG-01", "普通门诊挂号", 10),
            ("REG-02", "专家门诊挂号", 30),
            ("REG-03", "知名专家挂号", 50),
        ]),
        reversed: None,
    },
    Service {
        percent: 60,
        after: 45,
        department: LAB,
        menu: Menu::Priced(&[
            ("LAB-01", "血常规", 25),
            ("LAB-02", "肝功能", 90),
            ("LAB-03", "生化全项", 260),
            ("LAB-04", "尿常规", 15),
        ]),
        reversed: None,
    },
    Service {
        percent: 30,
        after: 60,
        department: IMAGING,
        menu: Menu::Priced(&[
            ("IMG-01", "胸部正位片", 120),
            ("IMG-02", "CT 平扫", 380),
            ("IMG-03", "核磁共振", 650),
        ]),
        reversed: Some((5, ReversalReason::ExamCancelled)),
    },
    Service {
        percent: 70,
        after: 90,
        department: PHARMACY,
        menu: Menu::Ranged("PH-01", "门诊西药", 20..400),
        reversed: Some((4, ReversalReason::DrugReturn)),
    },
];

/// A night visit: the emergency department, and drugs for half of them.
const NIGHT_SERVICES: [Service; 2] = [
    Service {
        percent: 100,
        after: 3,
        department: EMERGENCY,
        menu: Menu::Ranged("ER-001", "急诊诊查费", 20..60),
        reversed: None,
    },
    Service {
        percent: 50,
        after: 40,
        department: PHARMACY,
        menu: Menu::Ranged("PH-ER", "急诊药品", 30..300),
        reversed: None,
    },
];

/// The simulated hospital.
struct Hospital {
    app: App,
    time: SimulatedTime,
    calendar: Calendar,
    figures: Figures,
    days: usize,
    first_day: NaiveDate,
    rng: fastrand::Rng,
    controller: Actor,
    auditor: Actor,
    supervisor: Actor,
    /// The combined windows' cashiers, then the insurance windows', then two night cashiers.
    cashiers: Vec<Actor>,
    departments: BTreeMap<&'static str, Actor>,
    staff: Vec<DemoStaff>,
    patients: Vec<Patient>,
    /// Open drawers: day windows by index (combined, then insurance), and the night window.
    day_drawers: Vec<Option<Drawer>>,
    night: Option<Drawer>,
    /// Closed drawers of the day with a variance, waiting for finance.
    variances: Vec<Drawer>,
    movements: BTreeMap<NaiveDate, Vec<Movement>>,
    closed_days: Vec<NaiveDate>,
    serial: u64,
    /// The inpatients in a bed.
    ward: Vec<usize>,
}

impl Hospital {
    fn new(settings: &DemoSettings, app: App, time: SimulatedTime, first_day: NaiveDate) -> Self {
        let nobody = Actor {
            staff_id: yika_domain::StaffId(uuid::Uuid::nil()),
            staff_no: String::new(),
            role: Role::Admin,
            department: None,
        };
        let figures = settings.scale.figures();
        let windows = figures.combined_windows + figures.insurance_windows;
        Hospital {
            app,
            time,
            calendar: settings.calendar,
            figures,
            days: usize::try_from(settings.days).unwrap_or(1),
            first_day,
            rng: fastrand::Rng::with_seed(settings.seed),
            controller: nobody.clone(),
            auditor: nobody.clone(),
            supervisor: nobody,
            cashiers: Vec::new(),
            departments: BTreeMap::new(),
            staff: Vec::new(),
            patients: Vec::new(),
            day_drawers: (0..windows).map(|_| None).collect(),
            night: None,
            variances: Vec::new(),
            movements: BTreeMap::new(),
            closed_days: Vec::new(),
            serial: 0,
            ward: Vec::new(),
        }
    }

    /// Runs every day; answers the staff with their tokens, the open night shift and the
    /// closed days.
    async fn simulate(mut self) -> Result<(Vec<DemoStaff>, (ShiftId, String), Vec<NaiveDate>)> {
        self.hire().await?;
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{prefix} [{bar:40}] {pos}/{len} acts ({eta})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        for day in 0..self.days {
            let date = self.first_day + Duration::days(i64::try_from(day).unwrap_or(0));
            let acts = self.plan(day, date);
            bar.set_prefix(format!("{date}"));
            bar.inc_length(acts.len() as u64);
            for (at, act) in acts {
                self.time.set(at);
                self.act(date, at, act)
                    .await
                    .map_err(|e| format!("the simulation was refused on {at}: {e}"))?;
                bar.inc(1);
            }
        }
        bar.finish_and_clear();
        let open = self
            .night
            .as_ref()
            .map(|d| (d.id, self.cashiers[d.cashier].staff_no.clone()))
            .ok_or("the last night shift is not open")?;
        Ok((self.staff, open, self.closed_days))
    }

    /// Registers the staff: one per role, a cashier per window and two for the nights, one
    /// department terminal per department.
    async fn hire(&mut self) -> Result<()> {
        let people: Vec<(Role, String, String, Option<&'static str>)> = {
            let mut people = vec![
                (Role::Admin, "A001".into(), "系统管理员".into(), None),
                (
                    Role::Controller,
                    "F001".into(),
                    "财务科 王会计".into(),
                    None,
                ),
                (Role::Auditor, "S001".into(), "审计科 李稽核".into(), None),
                (
                    Role::Supervisor,
                    "P001".into(),
                    "收费处 赵主任".into(),
                    None,
                ),
            ];
            let names = [
                "张敏", "刘洋", "陈静", "杨帆", "黄丽", "周强", "吴芳", "徐磊", "孙悦", "马超",
                "朱琳", "胡军", "郭婷",
            ];
            let windows = self.day_drawers.len();
            for n in 0..windows + 2 {
                people.push((
                    Role::Cashier,
                    format!("C{:03}", n + 1),
                    format!("收费员 {}", names[n % names.len()]),
                    None,
                ));
            }
            for (n, department) in DEPARTMENTS.iter().enumerate() {
                people.push((
                    Role::Department,
                    format!("D{:03}", n + 1),
                    format!("{department}终端"),
                    Some(*department),
                ));
            }
            people
        };
        for (role, staff_no, name, department) in people {
            let (staff_id, token) = self
                .app
                .register_staff(
                    None,
                    RegisterStaff {
                        staff_no: staff_no.clone(),
                        name: name.clone(),
                        role,
                        department: department.map(str::to_owned),
                    },
                )
                .await
                .map_err(|e| e.to_string())?;
            let actor = Actor {
                staff_id,
                staff_no: staff_no.clone(),
                role,
                department: department.map(str::to_owned),
            };
            match (role, department) {
                (Role::Controller, _) => self.controller = actor,
                (Role::Auditor, _) => self.auditor = actor,
                (Role::Supervisor, _) => self.supervisor = actor,
                (Role::Cashier, _) => self.cashiers.push(actor),
                (_, Some(department)) => {
                    self.departments.insert(department, actor);
                }
                _ => {}
            }
            self.staff.push(DemoStaff {
                role,
                staff_no,
                name,
                department: department.map(str::to_owned),
                token,
            });
        }
        Ok(())
    }

    /// The instant of a local time on `date` (`minutes` after midnight; past 24 h is the
    /// next day).
    fn at(&self, date: NaiveDate, minutes: i64) -> DateTime<Utc> {
        let local = date.and_time(NaiveTime::MIN) + Duration::minutes(minutes);
        self.calendar
            .time_zone
            .from_local_datetime(&local)
            .earliest()
            .map_or_else(|| Utc.from_utc_datetime(&local), |t| t.with_timezone(&Utc))
    }

    /// A time on `date` between `from` and `to` minutes after midnight, to the second.
    fn between(&mut self, date: NaiveDate, from: i64, to: i64) -> DateTime<Utc> {
        self.at(date, from) + Duration::seconds(self.rng.i64(0..(to - from) * 60))
    }

    fn money(&mut self, yuan: std::ops::Range<i64>) -> Money {
        Money::from_fen(self.rng.i64(yuan) * 100)
    }

    fn method(&mut self) -> PaymentMethod {
        match self.rng.u8(0..100) {
            0..35 => PaymentMethod::Cash,
            35..65 => PaymentMethod::Wechat,
            65..85 => PaymentMethod::Alipay,
            _ => PaymentMethod::BankCard,
        }
    }

    fn combined(&mut self) -> Window {
        Window::Combined(self.rng.usize(0..self.figures.combined_windows))
    }

    fn insurance(&mut self) -> Window {
        Window::Insurance(self.rng.usize(0..self.figures.insurance_windows))
    }

    /// Everything that happens on day `day` (`date`), in the order it happens.
    fn plan(&mut self, day: usize, date: NaiveDate) -> Vec<(DateTime<Utc>, Act)> {
        let last = day + 1 == self.days;
        let mut acts: Vec<(DateTime<Utc>, Act)> = Vec::new();
        if day > 0 {
            let yesterday = date - Duration::days(1);
            acts.push((self.at(date, 7 * 60 + 45), Act::CloseNightShift));
            acts.push((self.at(date, 9 * 60 + 30), Act::ImportStatements(yesterday)));
            acts.push((self.at(date, 9 * 60 + 40), Act::ResolveVariances));
            acts.push((self.at(date, 10 * 60), Act::CloseDay(yesterday)));
        }
        if last && day >= 1 {
            // The day before, signed at 10:00: one of its charges turns out wrong at 11:00.
            let signed = date - Duration::days(1);
            acts.push((self.at(date, 11 * 60), Act::LateCorrection(signed)));
        }
        acts.push((self.at(date, 7 * 60 + 55), Act::OpenDayShifts));
        acts.push((self.at(date, 17 * 60 + 30), Act::CloseDayShifts));
        acts.push((self.at(date, 20 * 60), Act::OpenNightShift));
        let windows = self.day_drawers.len();
        let counted = self.rng.usize(0..windows);
        acts.push((self.at(date, 14 * 60), Act::SurpriseCount(counted)));
        if self.rng.u8(0..100) < 40 {
            let window = self.rng.usize(0..windows);
            let at = self.between(date, 9 * 60, 16 * 60);
            acts.push((at, Act::VoidReceipt(window)));
        }
        if day % 3 == 1 {
            let cashier = self.rng.usize(0..windows);
            let (points, reason) = if day.is_multiple_of(2) {
                (2, "劳动纪律: 迟到 10 分钟")
            } else {
                (1, "服务态度: 患者投诉窗口解释不清")
            };
            acts.push((
                self.at(date, 16 * 60),
                Act::QualityDeduction(cashier, points, reason),
            ));
        }
        self.plan_outpatients(day, date, last, &mut acts);
        self.plan_inpatients(day, date, &mut acts);
        // Stable: acts at the same moment keep the order they were planned in.
        acts.sort_by_key(|(at, _)| *at);
        acts
    }

    /// Outpatients: new cards with a deposit at a window, returning cards topped up, the
    /// kiosk's registration, the laboratory, imaging and pharmacy deducting as they execute,
    /// drug returns and cancelled exams, card returns; the night's emergency patients.
    fn plan_outpatients(
        &mut self,
        day: usize,
        date: NaiveDate,
        last: bool,
        acts: &mut Vec<(DateTime<Utc>, Act)>,
    ) {
        let visits = self.figures.visits;
        let night_visits = (visits / 20).max(2);
        let open_cards: Vec<usize> = (0..self.patients.len())
            .filter(|&p| self.patients[p].scheme.is_none() && !self.patients[p].closed)
            .collect();
        for n in 0..visits + night_visits {
            let night = n >= visits;
            // The day's visits crowd the morning; the night's come from the evening until the
            // next morning (the last day's night ends at midnight: the simulation stops there).
            let arrival = if night {
                let until = if last { 23 * 60 + 50 } else { 31 * 60 };
                self.between(date, 20 * 60 + 5, until)
            } else if self.rng.u8(0..100) < 65 {
                self.between(date, 8 * 60, 11 * 60 + 30)
            } else {
                self.between(date, 11 * 60 + 30, 16 * 60 + 30)
            };
            let window = self.combined();
            let patient = if !open_cards.is_empty() && self.rng.u8(0..100) < 35 {
                let patient = open_cards[self.rng.usize(0..open_cards.len())];
                let method = self.method();
                acts.push((
                    arrival,
                    Act::TopUpCard {
                        patient,
                        window,
                        method,
                    },
                ));
                patient
            } else {
                let patient = self.patients.len();
                self.patients.push(Patient {
                    card_no: format!("YK{}{:06}", date.format("%y%m%d"), n + 1),
                    patient_id: format!("P{}{:05}", date.format("%y%m%d"), n + 1),
                    admitted: day,
                    ..Patient::default()
                });
                let amount = Money::from_fen(
                    [100, 200, 200, 300, 500, 500, 1000][self.rng.usize(0..7)] * 100,
                );
                let method = self.method();
                acts.push((
                    arrival,
                    Act::Open {
                        patient,
                        window,
                        amount,
                        method,
                    },
                ));
                patient
            };
            let minutes = |m: i64| arrival + Duration::minutes(m);
            let services: &[Service] = if night {
                &NIGHT_SERVICES
            } else {
                &DAY_SERVICES
            };
            for service in services {
                if self.rng.u8(0..100) >= service.percent {
                    continue;
                }
                let (code, name, yuan) = match service.menu {
                    Menu::Priced(items) => items[self.rng.usize(0..items.len())],
                    Menu::Ranged(code, name, ref range) => {
                        (code, name, self.rng.i64(range.clone()))
                    }
                };
                acts.push((
                    minutes(service.after),
                    Act::Deduct {
                        patient,
                        department: service.department,
                        item: (code, name),
                        amount: Money::from_fen(yuan * 100),
                    },
                ));
                if let Some((percent, reason)) = service.reversed
                    && self.rng.u8(0..100) < percent
                {
                    acts.push((
                        minutes(service.after + 15),
                        Act::Reverse {
                            patient,
                            department: service.department,
                            reason,
                        },
                    ));
                }
            }
            if night {
                continue;
            }
            if self.rng.u8(0..100) < 12 && arrival < self.at(date, 15 * 60) {
                let window = self.combined();
                acts.push((minutes(130), Act::ReturnCard { patient, window }));
            }
        }
    }

    /// Inpatients: the census admitted on the first morning, then admissions, the wards and
    /// the inpatient pharmacy deducting each day, top-ups of low deposits, and the day's
    /// discharges (83.62% of them between 9:00 and 12:00), settled under each scheme.
    fn plan_inpatients(
        &mut self,
        day: usize,
        date: NaiveDate,
        acts: &mut Vec<(DateTime<Utc>, Act)>,
    ) {
        let census = self.figures.beds * 9 / 10;
        let discharges = if day == 0 {
            0
        } else {
            self.figures.discharges + self.rng.usize(0..=self.figures.discharges / 5)
        };
        // Who goes home: the longest stays first among those admitted before today.
        let mut leaving: Vec<usize> = self
            .ward
            .iter()
            .copied()
            .filter(|&p| self.patients[p].admitted < day)
            .collect();
        self.rng.shuffle(&mut leaving);
        leaving.truncate(discharges);
        for &patient in &leaving {
            let at = if self.rng.u16(0..10_000) < 8_362 {
                self.between(date, 9 * 60, 12 * 60)
            } else {
                self.between(date, 12 * 60, 17 * 60)
            };
            let window = if self.figures.insurance_windows > 0 && self.rng.u8(0..100) < 50 {
                self.insurance()
            } else {
                self.combined()
            };
            acts.push((at, Act::Discharge { patient, window }));
        }
        self.ward.retain(|p| !leaving.contains(p));
        let admissions = if day == 0 { census } else { discharges };
        for n in 0..admissions {
            let patient = self.patients.len();
            let scheme = match self.rng.u8(0..100) {
                0..40 => InsuranceScheme::EmployeeBasic,
                40..75 => InsuranceScheme::ResidentBasic,
                75..80 => InsuranceScheme::RuralCooperative,
                80..92 => InsuranceScheme::SelfPay,
                _ => InsuranceScheme::OutOfArea,
            };
            self.patients.push(Patient {
                card_no: format!("ZY{}{:05}", date.format("%y%m%d"), n + 1),
                patient_id: format!("H{}{:05}", date.format("%y%m%d"), n + 1),
                scheme: Some(scheme),
                admitted: day,
                ..Patient::default()
            });
            let at = self.between(date, 8 * 60 + 10, 16 * 60 + 30);
            let window = self.combined();
            let amount = Money::from_fen(self.rng.i64(20..100) * 10_000);
            let method = self.method();
            acts.push((
                at,
                Act::Open {
                    patient,
                    window,
                    amount,
                    method,
                },
            ));
            self.ward.push(patient);
        }
        // Each bed's day: the ward's bed, nursing and examination fees, and the pharmacy's
        // drugs; low deposits topped up at the window (some are not: accounts in arrears).
        for index in 0..self.ward.len() {
            let patient = self.ward[index];
            let admitted_today = self.patients[patient].admitted == day;
            let ward = WARDS[patient % WARDS.len()];
            let start = if admitted_today { 17 * 60 } else { 8 * 60 };
            let at = self.between(date, start, 20 * 60);
            let amount = self.money(120..260);
            acts.push((
                at,
                Act::Deduct {
                    patient,
                    department: ward,
                    item: ("WARD-01", "床位费 护理费 诊查费"),
                    amount,
                },
            ));
            if self.rng.u8(0..100) < 80 {
                let at = self.between(date, start, 21 * 60);
                let amount = self.money(80..1200);
                acts.push((
                    at,
                    Act::Deduct {
                        patient,
                        department: INPATIENT_PHARMACY,
                        item: ("PH-IP", "住院药品"),
                        amount,
                    },
                ));
            }
            if !admitted_today && self.rng.u8(0..100) < 15 {
                let at = self.between(date, 8 * 60 + 30, 11 * 60);
                let (department, item) = if self.rng.bool() {
                    (LAB, ("LAB-03", "生化全项"))
                } else {
                    (IMAGING, ("IMG-02", "CT 平扫"))
                };
                let amount = self.money(200..600);
                acts.push((
                    at,
                    Act::Deduct {
                        patient,
                        department,
                        item,
                        amount,
                    },
                ));
            }
            if !admitted_today && self.rng.u8(0..100) < 70 {
                let at = self.between(date, 14 * 60, 17 * 60);
                let window = self.combined();
                let method = self.method();
                acts.push((
                    at,
                    Act::TopUpDeposit {
                        patient,
                        window,
                        method,
                    },
                ));
            }
        }
    }

    fn next(&mut self) -> u64 {
        self.serial += 1;
        self.serial
    }

    fn key(&mut self, what: &str) -> String {
        format!("demo-{what}-{}", self.next())
    }

    fn reference(&mut self, method: PaymentMethod, at: DateTime<Utc>) -> Option<String> {
        let prefix = match method {
            PaymentMethod::Wechat => "4200",
            PaymentMethod::Alipay => "2088",
            PaymentMethod::BankCard => "POS",
            _ => return None,
        };
        let serial = self.next();
        Some(format!("{prefix}{}{serial:08}", at.format("%Y%m%d")))
    }

    /// The drawer taking money at `at` through `window`: the window's day shift in day hours,
    /// the night window otherwise.
    fn drawer_at(&mut self, at: DateTime<Utc>, window: Window) -> Option<&mut Drawer> {
        let local = at.with_timezone(&self.calendar.time_zone).time();
        let day = local >= NaiveTime::from_hms_opt(7, 55, 0).unwrap_or(NaiveTime::MIN)
            && local < NaiveTime::from_hms_opt(17, 30, 0).unwrap_or(NaiveTime::MIN);
        if day {
            let index = match window {
                Window::Combined(n) => n,
                Window::Insurance(n) => self.figures.combined_windows + n,
            };
            self.day_drawers.get_mut(index).and_then(Option::as_mut)
        } else {
            self.night.as_mut()
        }
    }

    /// Money crossing a window: the drawer and the day's non-cash movements remember it.
    fn crossed(
        &mut self,
        at: DateTime<Utc>,
        window: Window,
        (method, amount, direction): (PaymentMethod, Money, Direction),
        external_ref: Option<String>,
    ) {
        let signed = match direction {
            Direction::In => amount,
            Direction::Out => -amount,
        };
        if let Some(drawer) = self.drawer_at(at, window) {
            if method == PaymentMethod::Cash {
                drawer.cash += signed;
            } else {
                *drawer.other.entry(method).or_default() += signed;
            }
        }
        if let Some(external_ref) = external_ref {
            let date = self.calendar.date_of(at);
            self.movements.entry(date).or_default().push(Movement {
                method,
                external_ref,
                amount,
                direction,
                at,
            });
        }
    }

    /// The shift and cashier taking money at `at`.
    fn till(&mut self, at: DateTime<Utc>, window: Window) -> Option<(ShiftId, Actor)> {
        let drawer = self.drawer_at(at, window)?;
        let (id, cashier) = (drawer.id, drawer.cashier);
        Some((id, self.cashiers[cashier].clone()))
    }

    /// How to pay `amount` out at `at`: cash if the drawer holds it, else a method the shift
    /// took at least that much by (a shift's tender never goes below zero); `None` when
    /// nothing covers it (the patient comes back later).
    fn payout(
        &mut self,
        at: DateTime<Utc>,
        window: Window,
        amount: Money,
    ) -> Option<PaymentMethod> {
        let drawer = self.drawer_at(at, window)?;
        if drawer.cash >= amount {
            return Some(PaymentMethod::Cash);
        }
        [
            PaymentMethod::BankCard,
            PaymentMethod::Wechat,
            PaymentMethod::Alipay,
        ]
        .into_iter()
        .find(|method| drawer.other.get(method).is_some_and(|took| *took >= amount))
    }

    async fn act(
        &mut self,
        date: NaiveDate,
        at: DateTime<Utc>,
        act: Act,
    ) -> std::result::Result<(), ApiError> {
        match act {
            Act::OpenDayShifts => {
                for window in 0..self.day_drawers.len() {
                    let name = self.window_name(window);
                    let key = self.key("open");
                    // The insurance windows pay deposits back at discharge: a bigger float.
                    let float = Money::from_fen(if window < self.figures.combined_windows {
                        self.figures.float_fen
                    } else {
                        self.figures.float_fen * 5
                    });
                    let id = self
                        .app
                        .open_shift(&self.cashiers[window], &key, &name, float)
                        .await?;
                    self.day_drawers[window] = Some(Drawer {
                        id,
                        cashier: window,
                        cash: float,
                        other: BTreeMap::new(),
                        variance: Money::ZERO,
                    });
                }
            }
            Act::CloseDayShifts => {
                for window in 0..self.day_drawers.len() {
                    if let Some(drawer) = self.day_drawers[window].take() {
                        self.close(drawer).await?;
                    }
                }
            }
            Act::OpenNightShift => {
                // Two night cashiers take turns, each alone (a flagged night shift).
                let cashier =
                    self.day_drawers.len() + usize::from(!date.ordinal0().is_multiple_of(2));
                let key = self.key("open");
                let float = Money::from_fen(self.figures.float_fen / 2);
                let id = self
                    .app
                    .open_shift(&self.cashiers[cashier], &key, "夜间急诊窗口", float)
                    .await?;
                self.night = Some(Drawer {
                    id,
                    cashier,
                    cash: float,
                    other: BTreeMap::new(),
                    variance: Money::ZERO,
                });
            }
            Act::CloseNightShift => {
                if let Some(drawer) = self.night.take() {
                    self.close(drawer).await?;
                }
            }
            Act::ResolveVariances => {
                for drawer in std::mem::take(&mut self.variances) {
                    // Most variances are settled the next morning; some stay open (flagged).
                    if self.rng.u8(0..100) < 30 {
                        continue;
                    }
                    let resolution = if drawer.variance.is_negative() {
                        VarianceResolution::CashierRepays
                    } else {
                        VarianceResolution::WrittenOff
                    };
                    self.app
                        .resolve_variance(
                            &self.controller,
                            drawer.id,
                            resolution,
                            "演示: 次日处理长短款",
                        )
                        .await?;
                }
            }
            Act::ImportStatements(day) => {
                self.views_caught_up().await?;
                self.import_statements(day).await?;
            }
            Act::CloseDay(day) => {
                self.views_caught_up().await?;
                let key = self.key("close-day");
                self.app
                    .close_day(
                        &self.controller,
                        &self.calendar.business_day(day),
                        (self.calendar.time_zone.name(), date),
                        Some("日结: 演示医院".to_owned()),
                        &key,
                    )
                    .await?;
                self.closed_days.push(day);
            }
            Act::SurpriseCount(window) => {
                if let Some(drawer) = self.day_drawers[window].as_ref() {
                    let (id, cash) = (drawer.id, drawer.cash);
                    self.app
                        .record_cash_count(&self.auditor, id, cash, Some("突击盘点".to_owned()))
                        .await?;
                }
            }
            Act::VoidReceipt(window) => {
                if let Some(drawer) = self.day_drawers[window].as_ref() {
                    let id = drawer.id;
                    self.app
                        .void_receipt(&self.cashiers[window], id, "打印卡纸, 收据作废")
                        .await?;
                }
            }
            Act::QualityDeduction(cashier, points, reason) => {
                let staff_id = self.cashiers[cashier].staff_id;
                self.app
                    .record_quality_deduction(
                        &self.supervisor,
                        staff_id,
                        rust_decimal::Decimal::from(points),
                        reason,
                    )
                    .await?;
            }
            Act::Open {
                patient,
                window,
                amount,
                method,
            } => {
                let Some((shift_id, cashier)) = self.till(at, window) else {
                    return Ok(());
                };
                let p = &self.patients[patient];
                let input = OpenAccount {
                    kind: if p.scheme.is_some() {
                        AccountKind::InpatientDeposit
                    } else {
                        AccountKind::OutpatientCard
                    },
                    patient_id: p.patient_id.clone(),
                    card_no: p.card_no.clone(),
                    insurance_scheme: p.scheme.unwrap_or(InsuranceScheme::SelfPay),
                };
                let key = self.key("open");
                let account = self.app.open_account(&cashier, &key, input).await?;
                self.patients[patient].account = Some(account);
                self.deposit(at, window, (patient, shift_id, &cashier), amount, method)
                    .await?;
            }
            Act::TopUpCard {
                patient,
                window,
                method,
            } => {
                let p = &self.patients[patient];
                if p.closed || p.account.is_none() || p.balance >= Money::from_fen(20_000) {
                    return Ok(());
                }
                let Some((shift_id, cashier)) = self.till(at, window) else {
                    return Ok(());
                };
                let amount = Money::from_fen([200, 300, 500][self.rng.usize(0..3)] * 100);
                self.deposit(at, window, (patient, shift_id, &cashier), amount, method)
                    .await?;
            }
            Act::TopUpDeposit {
                patient,
                window,
                method,
            } => {
                let p = &self.patients[patient];
                if p.closed || p.account.is_none() || p.balance >= Money::from_fen(100_000) {
                    return Ok(());
                }
                // Some families cannot top up at once: their accounts stay in arrears.
                if p.balance.is_negative() && self.rng.u8(0..100) < 40 {
                    return Ok(());
                }
                let Some((shift_id, cashier)) = self.till(at, window) else {
                    return Ok(());
                };
                let amount = Money::from_fen(self.rng.i64(20..60) * 10_000);
                self.deposit(at, window, (patient, shift_id, &cashier), amount, method)
                    .await?;
            }
            Act::Deduct {
                patient,
                department,
                item,
                amount,
            } => {
                let p = &self.patients[patient];
                let Some(account_id) = p.account.filter(|_| !p.closed) else {
                    return Ok(());
                };
                // A card pays only what it holds: the patient goes to the window first.
                if p.scheme.is_none() && p.balance < amount {
                    return Ok(());
                }
                let actor = self.departments[department].clone();
                let order_id = format!("ORD{}{:07}", date.format("%y%m%d"), self.next());
                let stored = self
                    .app
                    .deduct(
                        &actor,
                        Deduct {
                            account_id,
                            amount,
                            department: department.to_owned(),
                            order_id,
                            item_code: item.0.to_owned(),
                            item_name: Some(item.1.to_owned()),
                            quantity: 1,
                        },
                    )
                    .await?;
                let on = self.calendar.date_of(at);
                let p = &mut self.patients[patient];
                p.balance -= amount;
                p.charges += amount;
                p.deductions.push((
                    department.to_owned(),
                    DeductionId(stored.event_id),
                    amount,
                    on,
                ));
            }
            Act::Reverse {
                patient,
                department,
                reason,
            } => {
                // The visit's own deduction, the same day (if it was made at all).
                let today = self.calendar.date_of(at);
                self.reverse(patient, department, reason, today).await?;
            }
            Act::LateCorrection(day) => {
                // A charge error found after the day was signed (日结后更正): the reversal
                // belongs to the deduction's day, which the signed report then differs from.
                let found = (0..self.patients.len()).find(|&p| {
                    !self.patients[p].closed
                        && self.patients[p]
                            .deductions
                            .iter()
                            .any(|(d, _, _, on)| d == LAB && *on == day)
                });
                if let Some(patient) = found {
                    self.reverse(patient, LAB, ReversalReason::ChargeError, day)
                        .await?;
                }
            }
            Act::ReturnCard { patient, window } => {
                let p = &self.patients[patient];
                let Some(account_id) = p.account.filter(|_| !p.closed) else {
                    return Ok(());
                };
                let balance = p.balance;
                let Some((shift_id, cashier)) = self.till(at, window) else {
                    return Ok(());
                };
                if balance.is_positive() {
                    let Some(method) = self.payout(at, window, balance) else {
                        return Ok(());
                    };
                    let external_ref = self.reference(method, at);
                    let key = self.key("refund");
                    self.app
                        .refund(
                            &cashier,
                            &key,
                            Refund {
                                account_id,
                                amount: None,
                                method,
                                shift_id,
                                external_ref: external_ref.clone(),
                                back_entry: None,
                            },
                        )
                        .await?;
                    self.crossed(at, window, (method, balance, Direction::Out), external_ref);
                }
                let key = self.key("close-account");
                self.app.close_account(&cashier, &key, account_id).await?;
                let p = &mut self.patients[patient];
                p.balance = Money::ZERO;
                p.closed = true;
            }
            Act::Discharge { patient, window } => self.discharge(at, patient, window).await?,
        }
        Ok(())
    }

    /// Waits until the views hold everything written (the statements' matching and the day's
    /// report read them).
    async fn views_caught_up(&self) -> std::result::Result<(), ApiError> {
        let head = self.app.store.head_position().await?;
        if self
            .app
            .read
            .wait_for(head, std::time::Duration::from_secs(600))
            .await
        {
            Ok(())
        } else {
            Err(ApiError::Internal("the views did not catch up".to_owned()))
        }
    }

    /// The department's reversal of its latest deduction on the patient's account made on
    /// `on`, if there is one.
    async fn reverse(
        &mut self,
        patient: usize,
        department: &'static str,
        reason: ReversalReason,
        on: NaiveDate,
    ) -> std::result::Result<(), ApiError> {
        let p = &mut self.patients[patient];
        if p.closed {
            return Ok(());
        }
        let Some(index) = p
            .deductions
            .iter()
            .rposition(|(d, _, _, day)| d == department && *day == on)
        else {
            return Ok(());
        };
        let (_, deduction_id, amount, _) = p.deductions.remove(index);
        let actor = self.departments[department].clone();
        let key = self.key("reverse");
        self.app
            .reverse(
                &actor,
                &key,
                Reverse {
                    deduction_id,
                    amount,
                    reason,
                },
            )
            .await?;
        let p = &mut self.patients[patient];
        p.balance += amount;
        p.charges -= amount;
        Ok(())
    }

    fn window_name(&self, window: usize) -> String {
        if window < self.figures.combined_windows {
            format!("{}号窗口 (综合)", window + 1)
        } else {
            format!("{}号窗口 (医保结算)", window + 1)
        }
    }

    /// A deposit through the window.
    async fn deposit(
        &mut self,
        at: DateTime<Utc>,
        window: Window,
        (patient, shift_id, cashier): (usize, ShiftId, &Actor),
        amount: Money,
        method: PaymentMethod,
    ) -> std::result::Result<(), ApiError> {
        let Some(account_id) = self.patients[patient].account else {
            return Ok(());
        };
        let external_ref = self.reference(method, at);
        let key = self.key("deposit");
        self.app
            .deposit(
                cashier,
                &key,
                Deposit {
                    account_id,
                    amount,
                    method,
                    shift_id,
                    external_ref: external_ref.clone(),
                    back_entry: None,
                },
            )
            .await?;
        let p = &mut self.patients[patient];
        p.balance += amount;
        p.deposited += amount;
        self.crossed(at, window, (method, amount, Direction::In), external_ref);
        Ok(())
    }

    /// Discharge settlement: insurance pays its share of the charges (an out-of-area patient's
    /// share entered by hand), the deposits are applied, the difference paid in or back.
    async fn discharge(
        &mut self,
        at: DateTime<Utc>,
        patient: usize,
        window: Window,
    ) -> std::result::Result<(), ApiError> {
        let p = &self.patients[patient];
        let (Some(account_id), Some(scheme)) = (p.account, p.scheme) else {
            return Ok(());
        };
        let share_percent = match scheme {
            InsuranceScheme::EmployeeBasic => 75,
            InsuranceScheme::ResidentBasic => 60,
            InsuranceScheme::RuralCooperative => 55,
            InsuranceScheme::OutOfArea => 50,
            InsuranceScheme::SelfPay => 0,
        };
        let charges = p.charges;
        let insurance_pays = Money::from_fen(charges.fen() * share_percent / 100);
        let patient_share = charges - insurance_pays;
        let (direction, amount) = if p.deposited >= patient_share {
            (Direction::Out, p.deposited - patient_share)
        } else {
            (Direction::In, patient_share - p.deposited)
        };
        let paid = match direction {
            Direction::In => {
                let method = match self.rng.u8(0..100) {
                    0..45 => PaymentMethod::Cash,
                    45..75 => PaymentMethod::BankCard,
                    _ => PaymentMethod::Wechat,
                };
                Some((window, method))
            }
            // A refund the window cannot cover is paid at a combined window that can.
            Direction::Out => std::iter::once(window)
                .chain((0..self.figures.combined_windows).map(Window::Combined))
                .find_map(|w| self.payout(at, w, amount).map(|method| (w, method))),
        };
        let Some(((shift_id, cashier), (window, method))) =
            paid.and_then(|(w, method)| self.till(at, w).map(|till| (till, (w, method))))
        else {
            // No drawer covers the refund now: the patient settles another day.
            self.ward.push(patient);
            return Ok(());
        };
        let external_ref = if amount.is_zero() {
            None
        } else {
            self.reference(method, at)
        };
        let key = self.key("settle");
        self.app
            .settle_discharge(
                &cashier,
                &key,
                SettleDischarge {
                    account_id,
                    insurance_scheme: scheme,
                    insurance_pays,
                    method,
                    shift_id,
                    external_ref: external_ref.clone(),
                    back_entry: None,
                },
            )
            .await?;
        if amount.is_positive() {
            self.crossed(at, window, (method, amount, direction), external_ref);
        }
        let p = &mut self.patients[patient];
        p.balance = Money::ZERO;
        p.closed = true;
        Ok(())
    }

    /// The close of a shift with a blind count (now and then short or over), the cashier's
    /// declaration and finance's receipt of the cash (交接).
    async fn close(&mut self, mut drawer: Drawer) -> std::result::Result<(), ApiError> {
        let variance = match self.rng.u8(0..100) {
            0..10 => -self.money(10..100),
            10..16 => self.money(5..50),
            _ => Money::ZERO,
        };
        let counted = drawer.cash + variance;
        let counted = if counted.is_negative() {
            Money::ZERO
        } else {
            counted
        };
        drawer.variance = counted - drawer.cash;
        let other: Vec<(PaymentMethod, Money)> = drawer
            .other
            .iter()
            .map(|(method, amount)| (*method, *amount))
            .collect();
        let cashier = self.cashiers[drawer.cashier].clone();
        self.app
            .close_shift(&cashier, drawer.id, counted, other.clone())
            .await?;
        self.app
            .declare_hand_over(&cashier, drawer.id, counted, other)
            .await?;
        self.app
            .hand_over(&self.controller, drawer.id, counted)
            .await?;
        if !drawer.variance.is_zero() {
            self.variances.push(drawer);
        }
        Ok(())
    }

    /// The platforms' and the bank's statements of `day`: every non-cash movement, less one the
    /// platform has not settled now and then, plus one the ledger does not know.
    async fn import_statements(&mut self, day: NaiveDate) -> std::result::Result<(), ApiError> {
        let movements = self.movements.remove(&day).unwrap_or_default();
        for method in [
            PaymentMethod::Wechat,
            PaymentMethod::Alipay,
            PaymentMethod::BankCard,
        ] {
            let mut lines: Vec<StatementLine> = movements
                .iter()
                .filter(|m| m.method == method)
                .map(|m| {
                    let fee = if m.direction == Direction::In && method != PaymentMethod::BankCard {
                        Money::from_fen((m.amount.fen() * 6 + 500) / 1000)
                    } else {
                        Money::ZERO
                    };
                    Ok(StatementLine {
                        external_ref: m.external_ref.clone(),
                        amount: Amount::new(m.amount)?,
                        direction: m.direction,
                        occurred_at: m.at + Duration::seconds(4),
                        fee,
                        note: None,
                    })
                })
                .collect::<std::result::Result<_, yika_domain::MoneyError>>()
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            if lines.len() > 3 && self.rng.u8(0..100) < 40 {
                let missing = self.rng.usize(0..lines.len());
                lines.remove(missing);
            }
            if !lines.is_empty() && self.rng.u8(0..100) < 25 {
                let at = self.between(day, 10 * 60, 16 * 60);
                let external_ref = self.reference(method, at).unwrap_or_default();
                lines.push(StatementLine {
                    external_ref,
                    amount: Amount::from_fen(self.rng.i64(1..50) * 1_000)
                        .map_err(|e| ApiError::Internal(e.to_string()))?,
                    direction: Direction::In,
                    occurred_at: at,
                    fee: Money::ZERO,
                    note: Some("平台有, 账上无".to_owned()),
                });
            }
            if lines.is_empty() {
                continue;
            }
            let key = self.key("statement");
            self.app
                .import_statement(
                    &self.controller,
                    yika_domain::reconciliation::Statement {
                        method,
                        statement_date: day,
                        source: Some(format!("demo-{method:?}-{day}.csv").to_lowercase()),
                        lines,
                    },
                    &key,
                )
                .await?;
        }
        Ok(())
    }
}

/// The summary as people read it: the days, the tokens, what to run next.
#[must_use]
pub fn describe(summary: &DemoSummary, data_flag: &str, elapsed: std::time::Duration) -> String {
    use std::fmt::Write as _;
    let mut text = String::new();
    let _ = writeln!(
        text,
        "A simulated hospital: {} to {} ({} days closed and signed, the last one open), {} events in {:.1} s.",
        summary.first_day,
        summary.last_day,
        summary.closed_days.len(),
        summary.events,
        elapsed.as_secs_f64()
    );
    let _ = writeln!(
        text,
        "\nStaff, one per role, with their tokens (shown once):"
    );
    let mut shown = std::collections::HashSet::new();
    for staff in &summary.staff {
        // The cashier shown holds the open night shift; one department terminal is enough.
        if staff.role == Role::Cashier && staff.staff_no != summary.open_shift_cashier
            || !shown.insert(staff.role)
        {
            continue;
        }
        let _ = writeln!(
            text,
            "  {:<10} {:<5} {:<16} {}",
            format!("{:?}", staff.role).to_uppercase(),
            staff.staff_no,
            staff.department.as_deref().unwrap_or(&staff.name),
            staff.token
        );
    }
    let _ = writeln!(
        text,
        "\nServe it and open the dashboard (log in with the CONTROLLER's token):\n  yika serve{data_flag}\n  http://127.0.0.1:8080/dashboard    GraphiQL: http://127.0.0.1:8080/"
    );
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::application::days::day_report;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_report_summed_from_the_last_signed_day_equals_one_summed_from_every_movement() {
        // Goal: decision 0033's shortcut changes no figure: every day of a demo ledger (night
        // shifts across midnight, a reversal of a signed day's deduction, statements, closes),
        // as the views stand and as of each close, reads the same from the last signed day as
        // from every movement; and the shortcut is really taken.
        let data = tempfile::tempdir().expect("tempdir");
        let calendar = Calendar::default();
        let locations = Locations::data_dir(data.path());
        let summary = run(&DemoSettings {
            locations: locations.clone(),
            days: 4,
            seed: 5,
            scale: Scale::Small,
            calendar,
        })
        .await
        .expect("the demo runs");
        let stores = crate::startup::open_stores(&locations)
            .await
            .expect("stores");
        let closed = stores
            .read
            .closed_days(summary.first_day, summary.last_day)
            .await
            .expect("closed days");
        assert_eq!(closed.len(), 3);
        let mut moments = vec![None];
        for day in &closed {
            moments.extend([
                Some(day.as_of_position),
                Some(day.position),
                Some(day.position + 1),
            ]);
        }
        let zone = calendar.time_zone.name();
        let mut shortcuts = 0;
        let mut date = summary.first_day;
        while date <= summary.last_day {
            let day = calendar.business_day(date);
            for as_of in &moments {
                let (from_signed, figures) = day_report(
                    stores.events.as_ref(),
                    &stores.read,
                    &day,
                    zone,
                    *as_of,
                    true,
                )
                .await
                .expect("a report from the last signed day");
                let (from_movements, _) = day_report(
                    stores.events.as_ref(),
                    &stores.read,
                    &day,
                    zone,
                    *as_of,
                    false,
                )
                .await
                .expect("a report from every movement");
                assert_eq!(from_signed, from_movements, "{date} as of {as_of:?}");
                if as_of.is_none() && figures.summed_from.is_some() {
                    shortcuts += 1;
                }
            }
            date += Duration::days(1);
        }
        assert_eq!(
            shortcuts, 3,
            "the last three days have a signed day before them"
        );
        stores.close().await;
    }
}
