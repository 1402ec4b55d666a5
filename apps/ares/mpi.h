#pragma once
// MPI for `mpirun -np N ares campaign ...`: each rank runs one shard of the campaign into its
// own store, then rank 0 merges them. Only active when the process was started by an MPI
// launcher (and Ares was built with MPI); otherwise every call is a no-op.

namespace ares::cli {

/// Initialises MPI when launched by mpirun/srun and built with MPI. Returns true then.
bool mpi_start(int* argc, char*** argv);
bool mpi_active();
int mpi_rank();
int mpi_size();
void mpi_barrier();
/// Aborts every rank (after an error on one).
[[noreturn]] void mpi_abort(int code);
void mpi_stop();

}  // namespace ares::cli
