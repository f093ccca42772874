import { redisRestart } from './scenarios/redis-restart.js';
for (let i = 0; i < Number(process.env['ROUNDS'] ?? 5); i++) {
  const out = await redisRestart.run({ seed: 1000 + i, portals: 300, log: (l) => console.log(l) });
  console.log(JSON.stringify({ i, dup: out.check.duplicates, flagged: out.check.flagged, dir: out.dir, facts: out.facts }));
}
