/** TensorFlow's info logs off for the test workers (set before they start; jest sandboxes process.env). */
export default function globalSetup(): void {
  process.env.TF_CPP_MIN_LOG_LEVEL = process.env.TF_CPP_MIN_LOG_LEVEL ?? '2';
}
