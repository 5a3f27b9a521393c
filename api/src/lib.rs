//! Yika's API: the application layer, the GraphQL schema, the HTTP endpoint and the CLI.

#![deny(unsafe_code)]

pub mod application;
pub mod auth;
pub mod bench;
pub mod calendar;
pub mod cli;
pub mod demo;
pub mod documents;
pub mod error;
pub mod graphql;
pub mod http;
pub mod listener;
pub mod metrics;
pub mod print;
pub mod reconcile_cli;
pub mod replay;
pub mod startup;
pub mod statement_csv;
pub mod verify;

pub use startup::{
    Application, EVENTS_FILE, Locations, READ_FILE, REPLAY_MARKER, Stores, application,
    open_event_store, open_stores, redact, refuse_writes_to_a_replay,
};

/// Plain string errors for the CLI's top level.
pub mod anyhow_like {
    /// A CLI-level result with a human-readable error.
    pub type Result<T> = std::result::Result<T, String>;
}
