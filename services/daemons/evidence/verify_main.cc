// caselink-evidence-verify: does the stored evidence still match a manifest (and its receipt)?
#include <iostream>

#include "services/daemons/evidence/verify_tool.h"

int main(int argc, char** argv) {
  return caselink::evidence::verify_main(std::vector<std::string>(argv + 1, argv + argc), std::cout, std::cerr);
}
