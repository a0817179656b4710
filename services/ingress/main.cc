// caselink-ingress: the HTTP/1.1 JSON API for agency systems that cannot speak Kafka.
#include "services/ingress/service.h"

int main(int argc, char** argv) { return caselink::ingress::run_ingress(argc, argv); }
