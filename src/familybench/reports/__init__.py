"""familybench.reports"""
