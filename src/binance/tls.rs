//! TLS for REST and WebSocket: rustls with the ring provider, chosen once
//! for the process (reqwest and tungstenite both use the process default).

pub fn install_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Err only when another provider was installed first: it serves as well.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
