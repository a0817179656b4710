#include "services/lib/envelope/vocabulary.h"

namespace caselink::envelope {

caselink::v1::Confidence to_proto(Confidence confidence) {
  switch (confidence) {
    case Confidence::kHigh:
      return caselink::v1::CONFIDENCE_HIGH;
    case Confidence::kMedium:
      return caselink::v1::CONFIDENCE_MEDIUM;
    case Confidence::kLow:
      return caselink::v1::CONFIDENCE_LOW;
    case Confidence::kUnconfirmed:
      return caselink::v1::CONFIDENCE_UNCONFIRMED;
  }
  return caselink::v1::CONFIDENCE_UNSPECIFIED;
}

}  // namespace caselink::envelope
