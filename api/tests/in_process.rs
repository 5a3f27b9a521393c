//! `Application::build` starts the whole server (stores, views, HTTP) inside a test process on
//! a free port, without the binary.

use yika_api::application::RegisterStaff;
use yika_api::startup::Settings;
use yika_api::{Application, Locations, application, open_stores};
use yika_domain::Role;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_built_in_process_answers_graphql_on_a_free_port() {
    // Goal: a test (or a tool) can start Yika in-process on port 0, talk GraphQL to it over
    // HTTP, and stop it; the first ADMIN is made through the application as the CLI makes it.
    let dir = tempfile::tempdir().expect("a temp dir");
    let locations = Locations::data_dir(dir.path());
    let stores = open_stores(&locations).await.expect("stores");
    let (app, _runner) = application(&stores);
    let (_, token) = app
        .offline()
        .register_staff(
            None,
            RegisterStaff {
                staff_no: "A001".to_owned(),
                name: "Admin".to_owned(),
                role: Role::Admin,
                department: None,
            },
        )
        .await
        .expect("the first ADMIN");
    stores.close().await;

    let server = Application::build(&Settings::new(
        locations,
        "127.0.0.1:0".parse().expect("an address"),
    ))
    .await
    .expect("built");
    let address = server.address();
    assert_ne!(address.port(), 0, "a free port was chosen");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(server.run_until(async {
        let _ = stopped.await;
    }));

    let answer: serde_json::Value = reqwest::Client::new()
        .post(format!("http://{address}/graphql"))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "query": "{ me { staffNo role } }" }))
        .send()
        .await
        .expect("an answer")
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        answer,
        serde_json::json!({ "data": { "me": { "staffNo": "A001", "role": "ADMIN" } } })
    );

    stop.send(()).expect("the server waits for the signal");
    running
        .await
        .expect("the server task ends")
        .expect("the server stops cleanly");
}
