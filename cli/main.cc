// recsync: keeps Bluecherry's media database true to the recordings on disk.
#include <exception>
#include <iostream>

#include "cli/app.h"

int main(int argc, char** argv) {
  try {
    return recsync::RunCli(argc, argv, std::cout, std::cerr);
  } catch (const std::exception& e) {
    // Expected failures travel as Status; an exception here is a bug.
    std::cerr << "recsync: internal error: " << e.what() << "\n";
    return recsync::kExitError;
  }
}
