//! The `yika` command line: serve, staff add, export schema, bench.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::anyhow_like::Result;
use crate::application::RegisterStaff;
use crate::calendar::Calendar;
use crate::startup::{Application, Settings};
use crate::{Locations, application, graphql, open_stores};

/// Yika: an event-sourced ledger for a hospital's prepaid patient card and inpatient deposits.
#[derive(Parser, Debug)]
#[command(name = "yika", version, about)]
struct Cli {
    /// The data directory (events.db, read.db); every subcommand takes it.
    #[arg(long, global = true, env = "YIKA_DATA", default_value = crate::startup::DEFAULT_DATA)]
    data: PathBuf,
    /// The event store on a server instead of `DATA/events.db`: `postgres://user@host/db`
    /// (`sqlite://PATH` names a file elsewhere).
    #[arg(long, global = true, env = "YIKA_EVENT_STORE")]
    event_store: Option<String>,
    /// The read store (the views) on a server instead of `DATA/read.db`: `postgres://…`.
    #[arg(long, global = true, env = "YIKA_READ_STORE")]
    read_store: Option<String>,
    /// Log lines on stderr: `text` for people, `json` (one object per line, with the request's
    /// correlation id) for a log collector. The level comes from RUST_LOG (default info).
    #[arg(
        long,
        global = true,
        env = "YIKA_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve GraphQL over HTTP on the data directory.
    Serve {
        /// Address to listen on; port 0 picks a free port (printed on stdout).
        #[arg(long, env = "YIKA_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// The hospital's time zone (IANA name): a report's day is a local calendar day.
        #[arg(long, env = "YIKA_TIME_ZONE", default_value = "Asia/Shanghai")]
        time_zone: chrono_tz::Tz,
        /// The daily settlement time (结账), local: shifts still open after it are overdue.
        #[arg(long, env = "YIKA_SETTLEMENT_TIME", default_value = "17:30")]
        settlement_time: String,
        /// Hours a closed shift may wait for its two-party hand-over before it is flagged
        /// overdue (`Shift.handOverOverdue`).
        #[arg(long, env = "YIKA_HAND_OVER_HOURS", default_value_t = 24, value_parser = clap::value_parser!(u32).range(1..=720))]
        hand_over_hours: u32,
        /// How many hours back a cashier may back-enter money after an outage (补录:
        /// `occurredAt` on deposits, refunds and settlements).
        #[arg(long, env = "YIKA_BACK_ENTRY_HOURS", default_value_t = 72, value_parser = clap::value_parser!(u32).range(1..=720))]
        back_entry_hours: u32,
        /// The hospital's name, printed on its documents (the daily report's page).
        #[arg(long, env = "YIKA_HOSPITAL_NAME", default_value = crate::http::DEFAULT_HOSPITAL)]
        hospital_name: String,
        /// An origin whose pages may call the API from a browser (CORS), e.g.
        /// https://dashboard.hospital.local; repeat for several. None by default.
        #[arg(long = "cors-origin", env = "YIKA_CORS_ORIGINS", value_delimiter = ',')]
        cors_origins: Vec<String>,
        /// Refuse every mutation (FORBIDDEN): for serving an as-of replay (`yika replay`) to
        /// auditors, or a copy of the ledger that must not change.
        #[arg(long)]
        read_only: bool,
        /// Connections served at once (lowered to fit `ulimit -n`).
        #[arg(long, env = "YIKA_MAX_CONNECTIONS", default_value_t = 1024)]
        max_connections: usize,
        /// Connections from one client address at once (a hospital NAT counts as one).
        #[arg(long, env = "YIKA_MAX_CONNECTIONS_PER_CLIENT", default_value_t = 256)]
        max_connections_per_client: usize,
        /// Milliseconds a client has to send a request's headers, and the longest a kept-alive
        /// connection may sit idle; also the time it has to send a request's body.
        #[arg(long, env = "YIKA_HEADER_TIMEOUT_MS", default_value_t = 10_000)]
        header_timeout_ms: u64,
        /// Milliseconds a query may run before it is cancelled (LIMIT_EXCEEDED); mutations are
        /// never cut off.
        #[arg(long, env = "YIKA_QUERY_TIMEOUT_MS", default_value_t = 30_000)]
        query_timeout_ms: u64,
    },
    /// Rebuild every view from the log, as it stood at a time or a position, into a new data
    /// directory (copying the log's prefix there); serve it with `serve --read-only --data DIR`.
    Replay {
        /// Stop after the last event recorded at or before this time: RFC 3339, or local time
        /// in --time-zone ("2026-11-22T10:30").
        #[arg(long, conflicts_with = "position")]
        until: Option<String>,
        /// Stop after this position.
        #[arg(long)]
        position: Option<u64>,
        /// The new data directory (must not hold a ledger yet).
        #[arg(long)]
        into: PathBuf,
        /// The hospital's time zone, for a local --until.
        #[arg(long, env = "YIKA_TIME_ZONE", default_value = "Asia/Shanghai")]
        time_zone: chrono_tz::Tz,
    },
    /// Fill a new data directory with a simulated hospital, through the same command path a
    /// GraphQL mutation takes (every rule and event is real), reproducible from its seed; then
    /// print a token per role and the URL to open.
    Demo {
        /// Whole days simulated, ending yesterday (local): every day but the last is closed
        /// (日结) and signed, and the last night shift is still open.
        #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..=i64::from(crate::demo::MAX_DAYS)))]
        days: u32,
        /// The simulation's seed: the same seed, days and scale make the same business.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// `small` (a few thousand events a day) or `hospital` (about 3,000 beds, 300+
        /// discharges and 3,000 outpatient visits a day).
        #[arg(long, value_enum, default_value = "small")]
        scale: crate::demo::Scale,
        /// The hospital's time zone (IANA name): the simulated days are its local days.
        #[arg(long, env = "YIKA_TIME_ZONE", default_value = "Asia/Shanghai")]
        time_zone: chrono_tz::Tz,
        /// Print the summary (days, events, staff and tokens) as one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Manage staff.
    Staff {
        #[command(subcommand)]
        command: StaffCommand,
    },
    /// Check the hash chain over the whole log and compare every view with a fresh replay;
    /// exits non-zero when anything is wrong.
    Verify {
        /// A file of heads recorded earlier (`yika head` lines: position, hash, time), kept
        /// where the data directory's users cannot write: the log must still hold each of them.
        #[arg(long)]
        expect_head: Option<PathBuf>,
        /// The key the recorded heads were signed with (`yika head --key-file`): every line
        /// must then carry a valid signature.
        #[arg(long, requires = "expect_head")]
        key_file: Option<PathBuf>,
    },
    /// Print the log's head (position, hash, recorded time) on one line, to record outside the
    /// data directory (with the signed daily report, or a write-once store) for
    /// `yika verify --expect-head`.
    Head {
        /// Sign the line with this key (HMAC-SHA-256), kept outside the data directory, so that
        /// a recorded head cannot be forged by whoever can write where the heads are kept.
        #[arg(long)]
        key_file: Option<PathBuf>,
    },
    /// Reports for finance's spreadsheets.
    Report {
        #[command(subcommand)]
        what: ReportCommand,
    },
    /// Reconciliation (对账) with statements.
    Reconcile {
        #[command(subcommand)]
        what: ReconcileCommand,
    },
    /// Export artefacts.
    Export {
        #[command(subcommand)]
        what: ExportCommand,
    },
    /// Measure what users wait on (docs/performance.md): durable appends on the event store,
    /// deductions over HTTP through a running server, rebuilding the views from a generated
    /// ledger, or a command's cost on a long history.
    Bench {
        /// What to measure.
        #[arg(long, value_enum, default_value = "appends")]
        scenario: crate::bench::Scenario,
        /// Concurrent writers, one run each (appends).
        #[arg(long, value_delimiter = ',', default_value = "1,64")]
        writers: Vec<usize>,
        /// Events: appended in each run (appends), generated (replay), or the long account's
        /// earlier deductions (history).
        #[arg(long, default_value_t = 20_000)]
        events: usize,
        /// Concurrent connections, each a department terminal (deductions).
        #[arg(long, default_value_t = 64)]
        connections: usize,
        /// Cards deducted from (deductions).
        #[arg(long, default_value_t = 500)]
        cards: usize,
        /// Seconds of measured load, after two of warm-up (deductions).
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// The generated ledger's seed (replay).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Requests a second in all, an open loop (deductions, point); without it, each
        /// connection sends its next request as soon as the last is answered.
        #[arg(long)]
        rate: Option<u64>,
    },
}

#[derive(Subcommand, Debug)]
enum StaffCommand {
    /// Register a staff member and print their token (shown once).
    Add {
        /// Staff number (工号), unique.
        #[arg(long)]
        staff_no: String,
        /// Name.
        #[arg(long)]
        name: String,
        /// Role.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Department (required for DEPARTMENT).
        #[arg(long)]
        department: Option<String>,
        /// Print one JSON line {"staffId":…,"token":…}.
        #[arg(long)]
        json: bool,
    },
    /// Replace a staff member's token with a new one (printed once): the old one stops working
    /// on every server within a second.
    Token {
        /// Staff number (工号).
        #[arg(long)]
        staff_no: String,
        /// Issue a new token (the only action; required so that it is never done by accident).
        #[arg(long, required = true)]
        rotate: bool,
        /// The new token expires after this many days.
        #[arg(long)]
        expires_in_days: Option<u32>,
        /// Print one JSON line {"staffId":…,"token":…,"expiresAt":…}.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a staff member's token (until a new one is issued with `staff token --rotate`).
    Revoke {
        /// Staff number (工号).
        #[arg(long)]
        staff_no: String,
    },
    /// Deactivate a staff member who left or is suspended: no token of theirs works again.
    Deactivate {
        /// Staff number (工号).
        #[arg(long)]
        staff_no: String,
        /// Why (离职, 停职…), kept in the log.
        #[arg(long)]
        reason: String,
    },
}

#[derive(Subcommand, Debug)]
enum ReportCommand {
    /// The workload table (工作量统计表) of a month: per staff member, counts per business type,
    /// the weighted workload, whether it reaches the base, the excess, quality deductions.
    Workload {
        /// The month, YYYY-MM (the hospital's local calendar).
        #[arg(long)]
        month: String,
        /// Print CSV (UTF-8 with a byte-order mark, exact decimals) instead of a tab-separated
        /// table.
        #[arg(long)]
        csv: bool,
        /// The headers' language: zh (default) or en.
        #[arg(long, default_value = "zh")]
        lang: String,
        /// The hospital's time zone.
        #[arg(long, env = "YIKA_TIME_ZONE", default_value = "Asia/Shanghai")]
        time_zone: chrono_tz::Tz,
    },
    /// The daily report (住院结算日报表) of a business day: every line a row (section, line,
    /// amount, count), as signed or as the log stands now.
    Daily {
        /// The business day, YYYY-MM-DD.
        #[arg(long)]
        date: String,
        /// signed (as signed at the day's close) or current (default).
        #[arg(long, default_value = "current")]
        version: String,
        /// Print CSV (UTF-8 with a byte-order mark) instead of a tab-separated table.
        #[arg(long)]
        csv: bool,
        /// The headers' language: zh (default) or en.
        #[arg(long, default_value = "zh")]
        lang: String,
        /// The hospital's time zone.
        #[arg(long, env = "YIKA_TIME_ZONE", default_value = "Asia/Shanghai")]
        time_zone: chrono_tz::Tz,
    },
    /// The monthly report (月报): a row per day up to today, whether it is signed, and the
    /// month's totals in a section of their own. Always CSV (UTF-8 with a byte-order mark).
    Month {
        /// The month, YYYY-MM.
        #[arg(long)]
        month: String,
        /// The headers' language: zh (default) or en.
        #[arg(long, default_value = "zh")]
        lang: String,
        /// The hospital's time zone.
        #[arg(long, env = "YIKA_TIME_ZONE", default_value = "Asia/Shanghai")]
        time_zone: chrono_tz::Tz,
    },
}

#[derive(Subcommand, Debug)]
enum ReconcileCommand {
    /// Import a statement file (generic CSV, WeChat Pay 交易账单, Alipay 业务明细; UTF-8 or GBK)
    /// into a running server as a CONTROLLER; a file with a bad row imports nothing.
    Import {
        /// WECHAT, ALIPAY, BANK_CARD (or INSURANCE_ACCOUNT, TRANSFER).
        #[arg(long)]
        method: String,
        /// The statement's day, YYYY-MM-DD.
        #[arg(long)]
        date: chrono::NaiveDate,
        /// The CSV file.
        #[arg(long)]
        file: PathBuf,
        /// The server's GraphQL endpoint.
        #[arg(
            long,
            env = "YIKA_SERVER",
            default_value = "http://127.0.0.1:8080/graphql"
        )]
        server: String,
        /// A CONTROLLER's bearer token.
        #[arg(long, env = "YIKA_TOKEN", hide_env_values = true)]
        token: String,
        /// The hospital's time zone, for statement times written without one.
        #[arg(long, env = "YIKA_TIME_ZONE", default_value = "Asia/Shanghai")]
        time_zone: chrono_tz::Tz,
    },
}

#[derive(Subcommand, Debug)]
enum ExportCommand {
    /// Print the GraphQL schema (SDL).
    Schema,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum LogFormat {
    Text,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
#[value(rename_all = "SCREAMING_SNAKE_CASE")]
enum RoleArg {
    Cashier,
    Department,
    Controller,
    Auditor,
    Supervisor,
    Admin,
}

impl From<RoleArg> for yika_domain::Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Cashier => yika_domain::Role::Cashier,
            RoleArg::Department => yika_domain::Role::Department,
            RoleArg::Controller => yika_domain::Role::Controller,
            RoleArg::Auditor => yika_domain::Role::Auditor,
            RoleArg::Supervisor => yika_domain::Role::Supervisor,
            RoleArg::Admin => yika_domain::Role::Admin,
        }
    }
}

/// Runs the command line; the process exit code says whether it worked.
#[must_use]
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        // Colours only for a person at a terminal, not for a log file or a collector.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    match cli.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().with_current_span(true).init(),
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("yika: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Runs a staff lifecycle command from the command line on the ledger's stores.
async fn staff_change<F, Fut>(
    locations: &Locations,
    change: F,
) -> Result<crate::application::StaffChange>
where
    F: FnOnce(crate::application::App) -> Fut,
    Fut: std::future::Future<Output = crate::error::ApiResult<crate::application::StaffChange>>,
{
    crate::refuse_writes_to_a_replay(locations)?;
    locations.require_ledger()?;
    let stores = open_stores(locations).await?;
    let (app, _runner) = application(&stores);
    let result = change(app.offline()).await;
    stores.close().await;
    result.map_err(|e| e.to_string())
}

/// Says on stderr that a new ledger is being created (a mistyped `--data` shows at once).
fn say_if_new(locations: &Locations) {
    if locations.is_new() {
        eprintln!(
            "creating a new ledger in {} (no events.db there yet)",
            locations.data.display()
        );
    }
}

async fn run(cli: Cli) -> Result<()> {
    let locations = Locations {
        data: cli.data,
        event_store: cli.event_store,
        read_store: cli.read_store,
    };
    match cli.command {
        Command::Serve {
            listen,
            time_zone,
            settlement_time,
            hand_over_hours,
            back_entry_hours,
            hospital_name,
            cors_origins,
            read_only,
            max_connections,
            max_connections_per_client,
            header_timeout_ms,
            query_timeout_ms,
        } => {
            let settlement_time = chrono::NaiveTime::parse_from_str(&settlement_time, "%H:%M")
                .map_err(|_| format!("--settlement-time must be HH:MM, got {settlement_time:?}"))?;
            say_if_new(&locations);
            serve(&Settings {
                locations,
                listen,
                calendar: Calendar {
                    time_zone,
                    settlement_time,
                    hand_over_within: chrono::Duration::hours(i64::from(hand_over_hours)),
                    back_entry_within: chrono::Duration::hours(i64::from(back_entry_hours)),
                },
                hospital: hospital_name,
                cors_origins,
                read_only,
                connections: crate::listener::ConnectionLimits {
                    max_connections: max_connections.max(1),
                    max_per_client: max_connections_per_client.max(1),
                    header_timeout: std::time::Duration::from_millis(header_timeout_ms.max(1)),
                    body_timeout: std::time::Duration::from_millis(header_timeout_ms.max(1)),
                },
                query_timeout: std::time::Duration::from_millis(query_timeout_ms),
            })
            .await
        }
        Command::Replay {
            until,
            position,
            into,
            time_zone,
        } => {
            let cut = match (until, position) {
                (Some(until), _) => {
                    crate::replay::Cut::Time(crate::replay::parse_until(&until, time_zone)?)
                }
                (None, Some(position)) => crate::replay::Cut::Position(position),
                (None, None) => crate::replay::Cut::Head,
            };
            locations.require_ledger()?;
            replay(&locations, &into, cut).await
        }
        Command::Demo {
            days,
            seed,
            scale,
            time_zone,
            json,
        } => {
            let started = std::time::Instant::now();
            let data_flag = locations.data_flag();
            let summary = crate::demo::run(&crate::demo::DemoSettings {
                locations,
                days,
                seed,
                scale,
                calendar: Calendar {
                    time_zone,
                    ..Calendar::default()
                },
            })
            .await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string(&summary).map_err(|e| e.to_string())?
                );
            } else {
                print!(
                    "{}",
                    crate::demo::describe(&summary, &data_flag, started.elapsed())
                );
            }
            Ok(())
        }
        Command::Staff {
            command:
                StaffCommand::Add {
                    staff_no,
                    name,
                    role,
                    department,
                    json,
                },
        } => {
            crate::refuse_writes_to_a_replay(&locations)?;
            say_if_new(&locations);
            let stores = open_stores(&locations).await?;
            let (app, _runner) = application(&stores);
            let input = RegisterStaff {
                staff_no,
                name,
                role: role.into(),
                department,
            };
            let result = app.offline().register_staff(None, input).await;
            stores.close().await;
            let (staff_id, token) = result.map_err(|e| e.to_string())?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "staffId": staff_id.to_string(), "token": token })
                );
            } else {
                println!("staff id: {staff_id}\ntoken (shown once, keep it safe): {token}");
            }
            Ok(())
        }
        Command::Staff {
            command:
                StaffCommand::Token {
                    staff_no,
                    rotate: _,
                    expires_in_days,
                    json,
                },
        } => {
            let expires_at = expires_in_days
                .map(|days| chrono::Utc::now() + chrono::Duration::days(i64::from(days)));
            let change = staff_change(&locations, |app| async move {
                app.issue_token(None, &staff_no, expires_at).await
            })
            .await?;
            let token = change.token.unwrap_or_default();
            let expires = expires_at.map(|at| at.to_rfc3339());
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "staffId": change.staff_id.to_string(), "token": token, "expiresAt": expires })
                );
            } else {
                println!(
                    "staff id: {}\nnew token (shown once, keep it safe): {token}{}",
                    change.staff_id,
                    expires.map_or(String::new(), |at| format!("\nexpires at: {at}"))
                );
            }
            Ok(())
        }
        Command::Staff {
            command: StaffCommand::Revoke { staff_no },
        } => {
            let change = staff_change(&locations, |app| async move {
                app.revoke_token(None, &staff_no).await
            })
            .await?;
            println!("revoked: staff id {}", change.staff_id);
            Ok(())
        }
        Command::Staff {
            command: StaffCommand::Deactivate { staff_no, reason },
        } => {
            let change = staff_change(&locations, |app| async move {
                app.deactivate_staff(None, &staff_no, &reason).await
            })
            .await?;
            println!("deactivated: staff id {}", change.staff_id);
            Ok(())
        }
        Command::Report {
            what:
                ReportCommand::Workload {
                    month,
                    csv,
                    lang,
                    time_zone,
                },
        } => {
            locations.require_ledger()?;
            let lang = crate::documents::Lang::parse(&lang)?;
            report_workload(&locations, &month, csv.then_some(lang), time_zone).await
        }
        Command::Report {
            what:
                ReportCommand::Daily {
                    date,
                    version,
                    csv,
                    lang,
                    time_zone,
                },
        } => {
            locations.require_ledger()?;
            let lang = crate::documents::Lang::parse(&lang)?;
            report_daily(
                &locations,
                (&date, &version),
                csv.then_some(lang),
                time_zone,
            )
            .await
        }
        Command::Report {
            what:
                ReportCommand::Month {
                    month,
                    lang,
                    time_zone,
                },
        } => {
            locations.require_ledger()?;
            let lang = crate::documents::Lang::parse(&lang)?;
            report_month(&locations, &month, lang, time_zone).await
        }
        Command::Verify {
            expect_head,
            key_file,
        } => {
            locations.require_ledger()?;
            let heads = match expect_head {
                Some(path) => Some(std::fs::read_to_string(&path).map_err(|e| {
                    format!("cannot read the recorded heads in {}: {e}", path.display())
                })?),
                None => None,
            };
            let key = key_file
                .map(|path| crate::verify::read_key(&path, &locations))
                .transpose()?;
            verify(&locations, heads.as_deref(), key.as_deref()).await
        }
        Command::Head { key_file } => {
            locations.require_ledger()?;
            let key = key_file
                .map(|path| crate::verify::read_key(&path, &locations))
                .transpose()?;
            let stores = open_stores(&locations).await?;
            let head = crate::verify::head(stores.events.as_ref()).await;
            stores.close().await;
            let head = head.map_err(|e| e.to_string())?;
            match key {
                Some(key) => println!("{head} {}", crate::verify::sign(&key, &head)),
                None => println!("{head}"),
            }
            Ok(())
        }
        Command::Reconcile {
            what:
                ReconcileCommand::Import {
                    method,
                    date,
                    file,
                    server,
                    token,
                    time_zone,
                },
        } => {
            crate::reconcile_cli::import(&crate::reconcile_cli::ImportRequest {
                method: &method.to_uppercase(),
                date,
                file: &file,
                server: &server,
                token: &token,
                time_zone,
            })
            .await?;
            Ok(())
        }
        Command::Export {
            what: ExportCommand::Schema,
        } => {
            print!("{}", graphql::schema(None, Calendar::default()).sdl());
            Ok(())
        }
        Command::Bench {
            scenario,
            writers,
            events,
            connections,
            cards,
            seconds,
            seed,
            rate,
        } => {
            let settings = crate::bench::Settings {
                rate,
                scenario,
                writers,
                events,
                connections,
                cards,
                seconds,
                seed,
            };
            crate::bench::run(&locations, &settings).await
        }
    }
}

async fn serve(settings: &Settings) -> Result<()> {
    let server = Application::build(settings).await?;
    let address = server.address();
    // The banner: the first line says where the API listens (scripts wait for it); the rest
    // tells a newcomer where to go. Whoever reads it may stop reading: a closed stdout is
    // no reason to stop serving.
    let banner = format!(
        "yika listening on http://{address}/graphql ({}{})\n  \
         GraphiQL, to explore the API in a browser: http://{address}/\n  \
         the live dashboard (finance, supervisors, auditors): http://{address}/dashboard\n  \
         printable documents (with a bearer token): http://{address}/print/daily-report?date=YYYY-MM-DD\n  \
         every request needs a staff token; the first ADMIN's comes from the command line:\n    \
         yika staff add{} --staff-no A001 --name Admin --role ADMIN\n",
        settings.locations.describe(),
        if settings.read_only {
            ", read-only"
        } else {
            ""
        },
        settings.locations.data_flag()
    );
    let _ = std::io::stdout().write_all(banner.as_bytes());
    let _ = std::io::stdout().flush();
    tracing::info!(%address, stores = %settings.locations.describe(), "serving");
    server.run_until(shutdown_signal()).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

/// The first and last day of a month given as YYYY-MM.
fn month_bounds(month: &str) -> Result<(chrono::NaiveDate, chrono::NaiveDate)> {
    let first = chrono::NaiveDate::parse_from_str(&format!("{}-01", month.trim()), "%Y-%m-%d")
        .map_err(|_| format!("--month must be YYYY-MM, got {month:?}"))?;
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .ok_or("month out of range")?;
    Ok((first, next.pred_opt().ok_or("month out of range")?))
}

/// Writes a table: CSV (with the byte-order mark) or tab-separated.
fn print_table(csv: bool, header: &[String], rows: &[Vec<String>]) -> Result<()> {
    write_section(csv, header, rows, true)
}

/// A second section of a CSV file, after a blank line (no second byte-order mark).
fn print_table_without_bom(csv: bool, header: &[String], rows: &[Vec<String>]) -> Result<()> {
    write_section(csv, header, rows, false)
}

/// Writes one section of a table to stdout: the first carries the CSV byte-order mark, a later
/// one follows a blank line.
fn write_section(csv: bool, header: &[String], rows: &[Vec<String>], first: bool) -> Result<()> {
    use std::io::Write as _;
    let mut bytes = Vec::new();
    if !first {
        bytes.extend_from_slice(if csv { b"\r\n" } else { b"\n" });
    }
    if csv {
        let file = crate::documents::csv_file(header, rows);
        let skip = if first {
            0
        } else {
            crate::documents::BOM.len()
        };
        bytes.extend_from_slice(&file[skip..]);
    } else {
        for line in std::iter::once(header).chain(rows.iter().map(Vec::as_slice)) {
            bytes.extend_from_slice(line.join("\t").as_bytes());
            bytes.push(b'\n');
        }
    }
    std::io::stdout()
        .lock()
        .write_all(&bytes)
        .map_err(|e| format!("writing the report: {e}"))
}

/// Prints the workload table of a month, after bringing the views up to date with the log:
/// a row per staff member, then the month's average and base in a section of their own.
async fn report_workload(
    locations: &Locations,
    month: &str,
    csv: Option<crate::documents::Lang>,
    time_zone: chrono_tz::Tz,
) -> Result<()> {
    use crate::documents::Lang;
    use yika_domain::BusinessType;
    let (first, last) = month_bounds(month)?;
    let stores = open_stores(locations).await?;
    let (app, runner) = application(&stores);
    runner
        .catch_up()
        .await
        .map_err(|e| format!("bringing the views up to date: {e}"))?;
    let calendar = Calendar {
        time_zone,
        ..Default::default()
    };
    let (table, _) = app
        .workload_table(calendar, first, last)
        .await
        .map_err(|e| e.to_string())?;
    let lang = csv.unwrap_or(Lang::En);
    let zh = lang == Lang::Zh;
    let pick = |c: &str, e: &str| if zh { c.to_owned() } else { e.to_owned() };
    let mut header = vec![pick("工号", "staff_no"), pick("姓名", "name")];
    header.extend(BusinessType::ALL.iter().map(|t| {
        let wire = serde_json::to_value(t)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        if zh {
            business_type_zh(*t).to_owned()
        } else {
            wire
        }
    }));
    header.extend([
        pick("加权工作量", "weighted"),
        pick("达到基础量", "reaches_base"),
        pick("超额", "excess"),
        pick("质量扣分", "quality_deductions"),
    ]);
    let mut rows = Vec::new();
    for line in &table.lines {
        let staff = app
            .read
            .staff(line.staff)
            .await
            .map_err(|e| e.to_string())?;
        let (no, name) = staff.map_or((line.staff.to_string(), String::new()), |s| {
            (s.staff_no, s.name)
        });
        let mut cells = vec![no, name];
        cells.extend(
            BusinessType::ALL
                .iter()
                .map(|t| line.counts.get(t).copied().unwrap_or(0).to_string()),
        );
        cells.push(line.weighted.normalize().to_string());
        cells.push(if zh {
            if line.reaches_base { "是" } else { "否" }.to_owned()
        } else {
            line.reaches_base.to_string()
        });
        cells.push(line.excess.normalize().to_string());
        cells.push(line.quality_deductions.normalize().to_string());
        rows.push(cells);
    }
    print_table(csv.is_some(), &header, &rows)?;
    // The month's figures: a section of their own, after a blank line, never a data row.
    let totals = vec![
        vec![
            pick("平均工作量", "average"),
            table.average.normalize().to_string(),
        ],
        vec![
            pick("基础工作量", "base"),
            table.base.normalize().to_string(),
        ],
        vec![
            pick("基础比例", "base_ratio"),
            table.base_ratio.normalize().to_string(),
        ],
    ];
    print_table_without_bom(
        csv.is_some(),
        &[pick("项目", "figure"), pick("值", "value")],
        &totals,
    )?;
    stores.close().await;
    Ok(())
}

/// A business type's Chinese name.
fn business_type_zh(t: yika_domain::BusinessType) -> &'static str {
    use yika_domain::BusinessType as B;
    match t {
        B::CardIssue => "发卡",
        B::Deposit => "预存预交",
        B::Admission => "入院",
        B::DischargeSelfPay => "出院自费",
        B::DischargeInsured => "出院医保",
        B::DischargeOutOfArea => "出院外埠",
        B::BalanceRefund => "退款",
        B::CardReturn => "退卡",
    }
}

/// Prints the daily report of a day, after bringing the views up to date with the log.
async fn report_daily(
    locations: &Locations,
    (date, version): (&str, &str),
    csv: Option<crate::documents::Lang>,
    time_zone: chrono_tz::Tz,
) -> Result<()> {
    let date = chrono::NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
        .map_err(|_| format!("--date must be YYYY-MM-DD, got {date:?}"))?;
    let signed = match version.trim().to_ascii_lowercase().as_str() {
        "signed" => true,
        "current" => false,
        other => {
            return Err(format!(
                "--version must be signed or current, got {other:?}"
            ));
        }
    };
    let stores = open_stores(locations).await?;
    let (app, runner) = application(&stores);
    runner
        .catch_up()
        .await
        .map_err(|e| format!("bringing the views up to date: {e}"))?;
    let calendar = Calendar {
        time_zone,
        ..Default::default()
    };
    let versioned = app
        .versioned_report(&calendar.business_day(date), time_zone.name(), signed)
        .await
        .map_err(|e| e.to_string())?;
    let lang = csv.unwrap_or_default();
    let header = crate::documents::rows_header(lang);
    let rows: Vec<Vec<String>> = crate::documents::daily_rows(&versioned.report, lang)
        .into_iter()
        .map(Vec::from)
        .collect();
    print_table(csv.is_some(), &header, &rows)?;
    stores.close().await;
    if versioned.balances {
        Ok(())
    } else {
        Err(format!("the daily report of {date} does not balance"))
    }
}

/// Prints the monthly report (月报) as CSV: a row per day, then the month's totals.
async fn report_month(
    locations: &Locations,
    month: &str,
    lang: crate::documents::Lang,
    time_zone: chrono_tz::Tz,
) -> Result<()> {
    use crate::documents::Lang;
    use yika_domain::Money;
    let (first, _) = month_bounds(month)?;
    let stores = open_stores(locations).await?;
    let (app, runner) = application(&stores);
    runner
        .catch_up()
        .await
        .map_err(|e| format!("bringing the views up to date: {e}"))?;
    let calendar = Calendar {
        time_zone,
        ..Default::default()
    };
    let days = app
        .month(&calendar, first, calendar.today())
        .await
        .map_err(|e| e.to_string())?;
    let zh = lang == Lang::Zh;
    let pick = |c: &str, e: &str| if zh { c.to_owned() } else { e.to_owned() };
    let yes_no = |b: bool| {
        if zh {
            if b { "是" } else { "否" }.to_owned()
        } else {
            b.to_string()
        }
    };
    let header = vec![
        pick("日期", "date"),
        pick("已日结", "signed"),
        pick("日结后有更正", "changed_since_signed"),
        pick("期初余额", "opening_liability"),
        pick("预交/充值", "deposits"),
        pick("执行扣费", "deductions"),
        pick("冲销", "reversals"),
        pick("退款", "refunds"),
        pick("出院结算冲减", "settlement_effect"),
        pick("期末余额", "closing_liability"),
        pick("平衡", "balances"),
    ];
    let mut rows = Vec::new();
    let mut totals = [Money::ZERO; 5];
    for day in &days {
        let r = &day.report;
        for (total, line) in totals.iter_mut().zip([
            r.deposits,
            r.deductions,
            r.reversals,
            r.refunds,
            r.settlement_effect,
        ]) {
            *total += line;
        }
        rows.push(vec![
            r.date.to_string(),
            yes_no(day.closed.is_some()),
            day.changed.map(yes_no).unwrap_or_default(),
            r.opening_liability.to_string(),
            r.deposits.to_string(),
            r.deductions.to_string(),
            r.reversals.to_string(),
            r.refunds.to_string(),
            r.settlement_effect.to_string(),
            r.closing_liability.to_string(),
            yes_no(day.balances),
        ]);
    }
    print_table(true, &header, &rows)?;
    let opening = days
        .first()
        .map_or(Money::ZERO, |d| d.report.opening_liability);
    let closing = days
        .last()
        .map_or(Money::ZERO, |d| d.report.closing_liability);
    let signed = days.iter().filter(|d| d.closed.is_some()).count();
    let [deposits, deductions, reversals, refunds, effect] = totals;
    let section = vec![
        vec![pick("期初余额", "opening_liability"), opening.to_string()],
        vec![pick("预交/充值", "deposits"), deposits.to_string()],
        vec![pick("执行扣费", "deductions"), deductions.to_string()],
        vec![pick("冲销", "reversals"), reversals.to_string()],
        vec![pick("退款", "refunds"), refunds.to_string()],
        vec![
            pick("出院结算冲减", "settlement_effect"),
            effect.to_string(),
        ],
        vec![pick("期末余额", "closing_liability"), closing.to_string()],
        vec![pick("已日结天数", "signed_days"), signed.to_string()],
        vec![pick("天数", "days"), days.len().to_string()],
    ];
    print_table_without_bom(
        true,
        &[pick("项目", "figure"), pick("值", "value")],
        &section,
    )?;
    stores.close().await;
    Ok(())
}

/// `yika replay`: copies the log's prefix and rebuilds the views; progress on stderr.
async fn replay(
    locations: &Locations,
    into: &std::path::Path,
    cut: crate::replay::Cut,
) -> Result<()> {
    let stores = open_stores(locations).await?;
    let replayed = crate::replay::replay(&*stores.events, into, cut, |line| {
        eprintln!("replay: {line}");
    })
    .await;
    stores.close().await;
    let replayed = replayed?;
    let marker = into.join(crate::REPLAY_MARKER);
    std::fs::write(
        &marker,
        format!(
            "positions 1..={} of {} (made by yika replay)\n",
            replayed.position,
            locations.describe()
        ),
    )
    .map_err(|e| format!("cannot write {}: {e}", marker.display()))?;
    println!(
        "replayed positions 1..={} of {} into {}{}",
        replayed.position,
        replayed.source_head,
        into.display(),
        replayed
            .recorded_at
            .map(|t| format!(" (last event recorded at {})", t.to_rfc3339()))
            .unwrap_or_default()
    );
    println!(
        "serve it with: yika serve --read-only --data {}",
        into.display()
    );
    Ok(())
}

/// `yika verify`: prints the verdict; an error (non-zero exit) when anything is wrong.
async fn verify(locations: &Locations, heads: Option<&str>, key: Option<&[u8]>) -> Result<()> {
    let stores = open_stores(locations).await?;
    let (app, _runner) = application(&stores);
    let verdict = crate::verify::verify(&app).await.map_err(|e| e.to_string());
    let recorded = match heads {
        Some(heads) => crate::verify::check_heads(stores.events.as_ref(), heads, key)
            .await
            .map_err(|e| e.to_string()),
        None => Ok(Vec::new()),
    };
    stores.close().await;
    let mut verdict = verdict?;
    let recorded = recorded?;
    if let Some(heads) = heads {
        let count = heads
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .count();
        if recorded.is_empty() {
            println!("recorded heads: all {count} still in the log");
        }
    }
    for (position, why) in recorded {
        println!("recorded head: MISMATCH {why}");
        verdict.first_broken_position = Some(
            verdict
                .first_broken_position
                .map_or(position, |p| p.min(position)),
        );
        verdict.mismatches.push(why);
    }
    println!("events checked: {}", verdict.events_checked);
    if verdict.chain_intact {
        println!("hash chain: intact");
    } else {
        println!("hash chain: BROKEN");
    }
    if let Some(position) = verdict.first_broken_position {
        println!("log: BROKEN at position {position}");
    }
    if verdict.mismatches.is_empty() {
        println!(
            "views: equal to a replay of the log up to position {}",
            verdict.views_position
        );
        if verdict.views_position < verdict.events_checked {
            println!(
                "views: behind the log ({} of {} events applied): the events after {} were checked by the chain only; start a server on this ledger to apply them, then verify again",
                verdict.views_position, verdict.events_checked, verdict.views_position
            );
        }
    } else {
        for mismatch in &verdict.mismatches {
            println!("views: MISMATCH {mismatch}");
        }
    }
    if verdict.ok() {
        Ok(())
    } else {
        Err("the ledger does not verify".to_owned())
    }
}
