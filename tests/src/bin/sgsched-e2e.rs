fn main() -> std::process::ExitCode {
    sgsched::cli::main()
}
