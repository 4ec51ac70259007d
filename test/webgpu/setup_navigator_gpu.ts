/** jest setupFiles of the `webgpu` project: navigator.gpu before any import. */
import {installNavigatorGpu} from './dawn';

installNavigatorGpu();
