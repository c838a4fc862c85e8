// The checks after an AWS deploy: the public hosts need no access (ACM issues and renews the
// certificates of the load balancer and CloudFront with the stack), and every one of them redirects
// http://: the load balancer's HTTP listener answers 301 to HTTPS (modules-platform.ts, listeners)
// and CloudFront's viewer_protocol_policy is redirect-to-https, a 301 (modules-site.ts).
import { publicHosts } from "../github/pipeline.js";
import type { Verification } from "../platform.js";

export const awsVerification: Verification = {
  certificates: () => [],
  trusted: () => true,
  redirects: publicHosts,
};
