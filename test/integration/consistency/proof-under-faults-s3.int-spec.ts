import { describeProofUnderFaults } from './describe-proof';

// The same proof with S3Proxy, a real S3-compatible server, under the fault driver.
describeProofUnderFaults('s3');
