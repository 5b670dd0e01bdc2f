//! The `sgsched` binary: the allocator and the process environment, then the CLI.

/// The scheduler allocates and frees many small short-lived objects per execution (JSON
/// records, plugin stores) from several threads at once; mimalloc does this with far less
/// contention and fragmentation than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    sgsched::cli::quiet_library_backtraces();
    sgsched::cli::main()
}
