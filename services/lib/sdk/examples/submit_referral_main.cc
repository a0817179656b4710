// caselink-example-submit-referral: see examples/submit_referral.cc.
#include <iostream>

#include "services/lib/sdk/examples/examples.h"

int main(int argc, char** argv) {
  return caselink::sdk::examples::submit_referral_main(std::vector<std::string>(argv + 1, argv + argc), std::cout,
                                                       std::cerr);
}
