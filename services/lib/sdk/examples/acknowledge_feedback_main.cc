// caselink-example-acknowledge-feedback: see examples/acknowledge_feedback.cc.
#include <iostream>

#include "services/lib/sdk/examples/examples.h"

int main(int argc, char** argv) {
  return caselink::sdk::examples::acknowledge_feedback_main(std::vector<std::string>(argv + 1, argv + argc),
                                                            std::cout, std::cerr);
}
