import { describeProofUnderFaults } from './describe-proof';

describeProofUnderFaults('filesystem');
