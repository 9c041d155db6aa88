import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// PONT_URL is the pont serve that npm run dev proxies the APIs to.
const pont = process.env.PONT_URL ?? 'http://127.0.0.1:7007';

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    // Hashed file names only under assets/: the Go server caches those for
    // a year and everything else not at all.
    assetsInlineLimit: 0,
    sourcemap: false,
    chunkSizeWarningLimit: 800,
  },
  server: {
    host: '127.0.0.1',
    port: 5173,
    strictPort: true,
    // Pont refuses state-changing requests and WebSocket upgrades from an
    // origin other than its own, so the proxy presents Pont's.
    proxy: Object.fromEntries(
      ['/api', '/auth'].map((path) => [
        path,
        {
          target: pont,
          ws: path === '/api',
          changeOrigin: true,
          configure: (proxy) => {
            proxy.on('proxyReq', (req) => req.getHeader('origin') && req.setHeader('origin', pont));
            proxy.on('proxyReqWs', (req) => req.setHeader('origin', pont));
          },
        },
      ]),
    ),
  },
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts'],
  },
});
