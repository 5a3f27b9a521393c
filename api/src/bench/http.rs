//! A small GraphQL-over-HTTP client for the benchmarks: one keep-alive HTTP/1.1 connection per
//! task (hyper's client connection, no pool), so the client costs the server's two cores as
//! little as it can.

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use serde_json::Value;

use crate::anyhow_like::Result;

/// One connection to a server's `/graphql`.
pub struct Connection {
    sender: SendRequest<Full<Bytes>>,
    host: String,
}

impl Connection {
    /// Connects to `address` (`127.0.0.1:PORT`).
    pub async fn open(address: &str) -> Result<Connection> {
        let stream = tokio::net::TcpStream::connect(address)
            .await
            .map_err(|e| format!("cannot connect to {address}: {e}"))?;
        let _ = stream.set_nodelay(true);
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("HTTP handshake with {address}: {e}"))?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(Connection {
            sender,
            host: address.to_owned(),
        })
    }

    /// Posts a GraphQL request with a bearer token; the answer's JSON.
    pub async fn post(&mut self, token: &str, query: &str, variables: &Value) -> Result<Value> {
        let body =
            serde_json::to_vec(&serde_json::json!({ "query": query, "variables": variables }))
                .expect("JSON");
        let request = hyper::Request::post("/graphql")
            .header(hyper::header::HOST, &self.host)
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header(hyper::header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        self.sender
            .ready()
            .await
            .map_err(|e| format!("connection closed: {e}"))?;
        let response = self
            .sender
            .send_request(request)
            .await
            .map_err(|e| format!("request failed: {e}"))?;
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("reading the answer: {e}"))?
            .to_bytes();
        serde_json::from_slice(&body).map_err(|e| format!("the answer is not JSON: {e}"))
    }

    /// Posts and returns `data`, or the errors as the error.
    pub async fn data(&mut self, token: &str, query: &str, variables: &Value) -> Result<Value> {
        let mut answer = self.post(token, query, variables).await?;
        match answer.get("errors") {
            Some(errors) => Err(format!("GraphQL errors: {errors}")),
            None => Ok(answer["data"].take()),
        }
    }
}
