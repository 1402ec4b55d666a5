#include "mpi.h"

#include <cstdlib>

#ifdef ARES_WITH_MPI
#include <mpi.h>
#endif

namespace ares::cli {
namespace {
bool active = false;
int rank = 0, size = 1;
}  // namespace

bool mpi_start(int* argc, char*** argv) {
#ifdef ARES_WITH_MPI
  // Only under a launcher: a plain `ares` must not pay for (or print from) MPI_Init.
  if (!std::getenv("OMPI_COMM_WORLD_SIZE") && !std::getenv("PMI_SIZE") &&
      !std::getenv("PMIX_RANK")) {
    return false;
  }
  MPI_Init(argc, argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  active = size > 1;
  if (!active) MPI_Finalize();
  return active;
#else
  (void)argc;
  (void)argv;
  return false;
#endif
}

bool mpi_active() { return active; }
int mpi_rank() { return rank; }
int mpi_size() { return size; }

void mpi_barrier() {
#ifdef ARES_WITH_MPI
  if (active) MPI_Barrier(MPI_COMM_WORLD);
#endif
}

void mpi_abort(int code) {
#ifdef ARES_WITH_MPI
  if (active) MPI_Abort(MPI_COMM_WORLD, code);
#endif
  std::exit(code);
}

void mpi_stop() {
#ifdef ARES_WITH_MPI
  if (active) MPI_Finalize();
  active = false;
#endif
}

}  // namespace ares::cli
