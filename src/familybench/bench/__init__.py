"""familybench.bench"""
