//! A signed-in client of one running server: JSON in, status and JSON out.

use serde_json::Value;

use super::Server;

pub struct Api {
    pub http: reqwest::Client,
    pub server: Server,
    pub token: String,
}

impl Api {
    /// A server on a fresh data dir (kept by the returned guard) and a token for `user`.
    pub fn start(user: &str, args: &[&str]) -> (tempfile::TempDir, Api) {
        let dir = tempfile::tempdir().unwrap();
        let server = Server::start(dir.path(), args);
        let token = server.token(user);
        let api = Api {
            http: reqwest::Client::new(),
            server,
            token,
        };
        (dir, api)
    }

    async fn answer(r: reqwest::RequestBuilder) -> (u16, Value) {
        let r = r.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.get_as(&self.token, path).await
    }

    pub async fn get_as(&self, token: &str, path: &str) -> (u16, Value) {
        Self::answer(self.http.get(self.server.url(path)).bearer_auth(token)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.post_as(&self.token, path, body).await
    }

    pub async fn post_as(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        let r = self.http.post(self.server.url(path)).bearer_auth(token);
        Self::answer(r.json(&body)).await
    }

    pub async fn delete_as(&self, token: &str, path: &str) -> (u16, Value) {
        Self::answer(self.http.delete(self.server.url(path)).bearer_auth(token)).await
    }

    pub async fn delete(&self, path: &str) -> (u16, Value) {
        self.delete_as(&self.token, path).await
    }
}
