/**
 * The framework fixtures on the webgpu backend (Dawn + SwiftShader in Node),
 * with float32-accumulation tolerances.
 */
import {FRAMEWORK_FLOAT32_TOLERANCES} from '../conformance/frameworks';
import {describeFrameworkParity} from '../shared/framework_parity';

describeFrameworkParity('webgpu', FRAMEWORK_FLOAT32_TOLERANCES);
