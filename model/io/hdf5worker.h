#pragma once

namespace wl::h5
{

// The hidden command `weightlens __hdf5-worker`: a sandboxed process that parses HDF5 files
// handed to it over its socket (hdf5worker.cpp). `--self-test PATH` checks the sandbox instead.
inline constexpr char kWorkerCommand[] = "__hdf5-worker";
[[noreturn]] void runWorker(int argc, char **argv);

} // namespace wl::h5
