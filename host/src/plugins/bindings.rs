//! Host-side bindings generated from `wit/scheduler.wit`.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "job-plugin",
    imports: { default: async | trappable },
    exports: { default: async },
});
