//! GraphiQL is served from the binary: the page and every asset it references load from the
//! server itself, with no request to anywhere else (hospital intranets are closed networks).

use crate::support::*;

/// Every `src="…"` and `href="…"` in an HTML page.
fn references(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        let mut rest = html;
        while let Some(start) = rest.find(attribute) {
            rest = &rest[start + attribute.len()..];
            let end = rest.find('"').expect("a closing quote");
            found.push(rest[..end].to_owned());
            rest = &rest[end..];
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_and_its_assets_come_from_the_server() {
    // Goal: GET / and /graphiql answer the GraphiQL page; it references only same-server paths (no scheme, no host, no CDN), each of which loads with the right media type; the stylesheet's fonts are inline; subscriptions point at /graphql/ws.
    let server = Server::start();
    let base = server.url.trim_end_matches("/graphql").to_owned();
    let client = reqwest::Client::new();
    let mut pages = Vec::new();
    for path in ["/", "/graphiql"] {
        let response = client.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let media = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(media.starts_with("text/html"), "{path}: {media}");
        pages.push(response.text().await.unwrap());
    }
    assert_eq!(pages[0], pages[1]);
    let html = &pages[0];
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no absolute URL in {html}"
    );
    assert!(
        html.contains("'/graphql/ws'"),
        "subscriptions go to /graphql/ws"
    );

    let assets = references(html);
    assert_eq!(
        assets.len(),
        4,
        "three scripts and a stylesheet: {assets:?}"
    );
    for asset in &assets {
        assert!(
            asset.starts_with('/') && !asset.starts_with("//"),
            "{asset} must be a path on this server"
        );
        let response = client.get(format!("{base}{asset}")).send().await.unwrap();
        assert_eq!(response.status(), 200, "{asset}");
        let media = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        let body = response.text().await.unwrap();
        assert!(body.len() > 1_000, "{asset} has content");
        assert!(
            !body.contains("sourceMappingURL"),
            "{asset} points at no missing map"
        );
        if asset.ends_with(".js") {
            assert!(media.starts_with("text/javascript"), "{asset}: {media}");
        } else {
            assert!(asset.ends_with(".css"), "{asset}");
            assert!(media.starts_with("text/css"), "{asset}: {media}");
            // Fonts and images in the stylesheet are inline data, not fetched from elsewhere.
            for reference in body.split("url(").skip(1) {
                let target = reference.trim_start_matches(['"', '\'']);
                assert!(
                    target.starts_with("data:"),
                    "{asset} fetches {}",
                    &target[..40.min(target.len())]
                );
            }
        }
    }
    let missing = client
        .get(format!("{base}/graphiql/assets/nothing.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

const INTROSPECTION: &str = include_str!("../fixtures/introspection.graphql");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_standard_introspection_query_answers_while_deep_queries_stay_refused() {
    // Goal: the introspection query GraphiQL, graphql-js, Python gql and graphql-codegen send (15
    // levels deep) answers without a token; a query of the ledger nested deeper than 12 levels,
    // or one that mixes introspection with ledger fields to borrow the room, is still refused.
    let server = Server::start();
    let answer = server.gql(None, INTROSPECTION, serde_json::json!({})).await;
    assert!(answer.get("errors").is_none(), "{answer}");
    assert_eq!(answer["data"]["__schema"]["queryType"]["name"], "Query");
    let types = answer["data"]["__schema"]["types"].as_array().unwrap();
    let money = types
        .iter()
        .find(|t| t["name"] == "Money")
        .expect("the Money scalar");
    assert!(
        money["description"]
            .as_str()
            .unwrap()
            .contains("at most two places"),
        "{money}"
    );
    // 13 levels of introspection answer alone, but not beside a ledger field: the room is for
    // introspection only.
    let thirteen = "__schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } } }";
    let alone = server
        .gql(None, &format!("{{ {thirteen} }}"), serde_json::json!({}))
        .await;
    assert!(alone.get("errors").is_none(), "{alone}");
    let mixed = server
        .gql(
            None,
            &format!("{{ me {{ name }} {thirteen} }}"),
            serde_json::json!({}),
        )
        .await;
    assert!(
        mixed["errors"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("too deep"),
        "{mixed}"
    );
}
