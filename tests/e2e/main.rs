//! End-to-end tests: the real `yika` binary, a temporary data directory, GraphQL over HTTP.

mod support;

mod as_of;
mod audit;
mod backends;

mod cashier_control;
mod closing;
mod concurrency;
mod correlation;
mod crash;
mod dashboard;
mod day_close;
mod demo;
mod fuzz;
mod graphiql;
mod guide;
mod http_spec;
mod inpatient;
mod limits;
mod live;
mod newcomer;
mod outpatient;
mod print;
mod read_matrix;
mod refusals;
mod replay;
mod replicas;
mod reports;
mod repository;
mod robustness;
mod schema;
mod trust;
mod verify;
mod workload;
